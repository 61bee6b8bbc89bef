import { Table, Text, Title } from '@mantine/core';
import type { Address, ContactPoint, Patient } from 'fhir/r4';
import { dateText, identifierLabel, nameText, referenceText, systemName } from '../../api/format';
import { ColumnHeads } from '../../components/ColumnHeads';
import { DataRow } from '../../components/DataRow';
import { FactTable } from '../../components/FactTable';

const addressText = (a: Address) => a.text ?? [a.line?.join(', '), a.city, a.state, a.postalCode, a.country].filter(Boolean).join(', ');
const telecomText = (t: ContactPoint) => `${t.system ?? ''}${t.use ? ` (${t.use})` : ''}: ${t.value ?? ''}`;

/** US Core race and ethnicity extensions, as their text or first category's display. */
function usCore(patient: Patient, kind: 'race' | 'ethnicity'): string {
  const ext = patient.extension?.find((e) => e.url === `http://hl7.org/fhir/us/core/StructureDefinition/us-core-${kind}`);
  const parts = ext?.extension ?? [];
  return parts.find((p) => p.url === 'text')?.valueString ?? parts.find((p) => p.valueCoding)?.valueCoding?.display ?? '';
}

export function Demographics({ patient: p }: { patient: Patient }) {
  const facts: Array<[string, string]> = [
    ['Name', nameText(p.name)],
    [
      'Other names',
      (p.name ?? [])
        .slice(1)
        .map((n) => nameText([n]))
        .join('; '),
    ],
    ['Birth date', dateText(p.birthDate)],
    ['Gender', p.gender ?? ''],
    ['Race', usCore(p, 'race')],
    ['Ethnicity', usCore(p, 'ethnicity')],
    ['Marital status', p.maritalStatus?.text ?? p.maritalStatus?.coding?.[0]?.display ?? ''],
    ['Address', (p.address ?? []).map(addressText).join('; ')],
    ['Contact', (p.telecom ?? []).map(telecomText).join('; ')],
    ['Language', p.communication?.map((c) => c.language.text ?? c.language.coding?.[0]?.display).join(', ') ?? ''],
    ['General practitioner', (p.generalPractitioner ?? []).map(referenceText).join(', ')],
    ['Managing organization', referenceText(p.managingOrganization)],
    ['Deceased', p.deceasedDateTime ? dateText(p.deceasedDateTime) : p.deceasedBoolean ? 'yes' : ''],
  ];
  return (
    <div className="two-columns">
      <section>
        <Title order={3} size="h4" mb="xs">
          Demographics
        </Title>
        <FactTable facts={facts} />
      </section>
      <section>
        <Title order={3} size="h4" mb="xs">
          Identifiers
        </Title>
        {(p.identifier ?? []).length === 0 ? (
          <Text>None recorded.</Text>
        ) : (
          <Table>
            <ColumnHeads names={['Kind', 'Value', 'System']} />
            <Table.Tbody>
              {(p.identifier ?? []).map((i, n) => (
                <DataRow key={n} values={[identifierLabel(i), i.value, systemName(i.system)]} />
              ))}
            </Table.Tbody>
          </Table>
        )}
      </section>
    </div>
  );
}
