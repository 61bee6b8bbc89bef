import { Alert, Button, Group, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import type { Parameters, ParametersParameter } from 'fhir/r4';
import { useState } from 'react';
import { paramValue, parameters, request } from '../../api/fhir';
import { dateText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { ActionDialog } from '../../components/ActionDialog';
import { ColumnHeads } from '../../components/ColumnHeads';
import { Async } from '../../components/Status';
import { FactTable } from '../../components/FactTable';

const text = (v: unknown) => (v === undefined ? '' : String(v));

/** The record's retention schedule ($retention) and its legal holds: place one, release one, each with a reason. */
export function Retention({ patientId }: { patientId: string }) {
  const state = useFhir<Parameters>(`Patient/${encodeURIComponent(patientId)}/$retention`);
  const [placing, setPlacing] = useState(false);
  const [releasing, setReleasing] = useState<{ subject: string; matter: string }>();
  const [matter, setMatter] = useState('');
  const [reason, setReason] = useState('');
  const hold = async (path: string, m: string) => {
    await request(path, { method: 'POST', body: parameters({ matter: m, reason }) });
    setMatter('');
    setReason('');
    state.reload();
  };
  return (
    <Async state={state} label="Loading the retention schedule">
      {(r) => {
        const p = r.parameter ?? [];
        const holds = p.filter((x) => x.name === 'hold').map((x) => x.part ?? []);
        const rows: Array<[string, string]> = [
          ['Governing rule', text(paramValue(p, 'rule')) || 'none applies: the record is kept'],
          ['Action when due', text(paramValue(p, 'action'))],
          ['Counted from', [text(paramValue(p, 'trigger')), dateText(text(paramValue(p, 'trigger-date')))].filter(Boolean).join(', ')],
          ['Destroy after', dateText(text(paramValue(p, 'destroy-after'))) || 'not determinable yet'],
          ['Due', paramValue(p, 'due') ? 'yes' : 'no'],
          ['Eligible for destruction', paramValue(p, 'eligible') ? 'yes' : 'no'],
        ];
        return (
          <Stack>
            <div className="two-columns">
              <section>
                <Title order={3} size="h4" mb="xs">
                  Retention schedule
                </Title>
                <FactTable facts={rows} />
                {p
                  .filter((x) => x.name === 'note')
                  .map((n, i) => (
                    <Text key={i} size="sm">
                      {n.valueString}
                    </Text>
                  ))}
                <Text size="sm" c="dimmed" mt="xs">
                  {text(paramValue(p, 'policy-notice'))}
                </Text>
              </section>
              <section>
                <Group justify="space-between" mb="xs">
                  <Title order={3} size="h4">
                    Legal holds in force
                  </Title>
                  <Button size="xs" onClick={() => setPlacing(true)}>
                    Place a hold
                  </Button>
                </Group>
                {holds.length === 0 ? <Text>No hold is in force.</Text> : <Holds holds={holds} onRelease={setReleasing} />}
              </section>
            </div>
            <ActionDialog
              title="Place a legal hold on the whole record"
              opened={placing}
              onClose={() => setPlacing(false)}
              confirm="Place the hold"
              ready={matter.trim() !== '' && reason.trim() !== ''}
              act={() => hold(`Patient/${encodeURIComponent(patientId)}/$hold`, matter.trim())}
            >
              <Alert color="blue">While the hold is in force no resource of this record can be deleted, merged away or destroyed.</Alert>
              <TextInput label="Matter (case number)" required maxLength={256} value={matter} onChange={(e) => setMatter(e.currentTarget.value)} />
              <Textarea label="Reason" required maxLength={4096} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
            </ActionDialog>
            <ActionDialog
              title={`Release the hold of matter ${releasing?.matter ?? ''}`}
              opened={releasing !== undefined}
              onClose={() => setReleasing(undefined)}
              confirm="Release the hold"
              ready={reason.trim() !== ''}
              act={() => hold(`${releasing!.subject}/$release-hold`, releasing!.matter)}
            >
              <Textarea label="Reason for the release" required maxLength={4096} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
            </ActionDialog>
          </Stack>
        );
      }}
    </Async>
  );
}

function Holds({ holds, onRelease }: { holds: ParametersParameter[][]; onRelease(h: { subject: string; matter: string }): void }) {
  return (
    <Table striped>
      <Table.Caption>Holds in force</Table.Caption>
      <ColumnHeads names={['Matter', 'Holds', 'Reason', 'Placed', 'By', 'Release']} />
      <Table.Tbody>
        {holds.map((h) => {
          const matter = text(paramValue(h, 'matter'));
          const subject = text(paramValue(h, 'subject'));
          return (
            <Table.Tr key={text(paramValue(h, 'hold'))}>
              <Table.Td>{matter}</Table.Td>
              <Table.Td>{subject}</Table.Td>
              <Table.Td>{text(paramValue(h, 'reason'))}</Table.Td>
              <Table.Td>{dateText(text(paramValue(h, 'placed')))}</Table.Td>
              <Table.Td>{text(paramValue(h, 'placed-by'))}</Table.Td>
              <Table.Td>
                <Button size="xs" variant="light" onClick={() => onRelease({ subject, matter })} aria-label={`Release the hold of matter ${matter}`}>
                  Release
                </Button>
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
