import { Table, Text } from '@mantine/core';
import type { Bundle, Condition } from 'fhir/r4';
import { resources } from '../../api/fhir';
import { codingText, conceptText, dateText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { Async } from '../../components/Status';
import { rowId, useScrollTo } from './Encounters';
import { HistoryButton } from './History';
import { ColumnHeads } from '../../components/ColumnHeads';

/** The patient's conditions with every code they carry (system and code), newest recorded first. */
export function Conditions({ patientId, focus }: { patientId: string; focus?: string }) {
  const state = useFhir<Bundle>(`Condition?patient=${encodeURIComponent(patientId)}&_sort=-recorded-date&_count=200`);
  useScrollTo(focus && rowId(focus), state.data !== undefined);
  return (
    <Async state={state} label="Loading conditions">
      {(bundle) => {
        const conditions = resources<Condition>(bundle, 'Condition');
        if (conditions.length === 0) return <Text>No conditions.</Text>;
        return (
          <Table striped>
            <Table.Caption>Conditions</Table.Caption>
            <ColumnHeads names={['Condition', 'Codes', 'Status', 'Onset', 'Recorded', 'History']} />
            <Table.Tbody>
              {conditions.map((c) => (
                <Table.Tr key={c.id} id={rowId(`Condition/${c.id}`)} className={focus === `Condition/${c.id}` ? 'focus-row' : undefined}>
                  <Table.Td>{conceptText(c.code) || '(uncoded)'}</Table.Td>
                  <Table.Td>{(c.code?.coding ?? []).map(codingText).join(', ')}</Table.Td>
                  <Table.Td>{[conceptText(c.clinicalStatus), conceptText(c.verificationStatus)].filter(Boolean).join(', ')}</Table.Td>
                  <Table.Td>{dateText(c.onsetDateTime ?? c.onsetPeriod?.start)}</Table.Td>
                  <Table.Td>{dateText(c.recordedDate)}</Table.Td>
                  <Table.Td>
                    <HistoryButton type="Condition" id={c.id!} label={conceptText(c.code) || 'Condition'} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        );
      }}
    </Async>
  );
}
