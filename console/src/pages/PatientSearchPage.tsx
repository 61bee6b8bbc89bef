import { Anchor, Button, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import type { Bundle, Patient } from 'fhir/r4';
import { useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { query, resources } from '../api/fhir';
import { dateText, mrn, nameText } from '../api/format';
import { useFhir } from '../api/use-fhir';
import { Async } from '../components/Status';
import { ColumnHeads } from '../components/ColumnHeads';

const FIELDS = ['name', 'birthdate', 'identifier'] as const;
type Criteria = Record<(typeof FIELDS)[number], string>;

/** Patient search by name, birth date and identifier (an MRN as typed, or system|value); criteria live in the URL. */
export function PatientSearchPage() {
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const asked = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? ''])) as Criteria;
  const [form, setForm] = useState<Criteria>(asked);
  const any = FIELDS.some((f) => asked[f]);
  const results = useFhir<Bundle>(any ? `Patient?${query({ ...asked, _count: '50' })}` : null);

  return (
    <Stack>
      <Title order={2}>Find a patient</Title>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/?${query(form)}`);
        }}
      >
        <Group align="end">
          <TextInput label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} />
          <TextInput label="Birth date" type="date" value={form.birthdate} onChange={(e) => setForm({ ...form, birthdate: e.currentTarget.value })} />
          <TextInput label="Identifier or MRN" value={form.identifier} onChange={(e) => setForm({ ...form, identifier: e.currentTarget.value })} />
          <Button type="submit">Search</Button>
        </Group>
      </form>
      {any && (
        <Async state={results} label="Searching patients">
          {(bundle) => <Results patients={resources<Patient>(bundle, 'Patient')} total={bundle.total} />}
        </Async>
      )}
    </Stack>
  );
}

function Results({ patients, total }: { patients: Patient[]; total?: number }) {
  if (patients.length === 0) return <Text>No patient matches.</Text>;
  return (
    <>
      <Text size="sm" c="dimmed">
        {total !== undefined && total > patients.length ? `The first ${patients.length} of ${total} patients` : `${patients.length} patients`}
      </Text>
      <Table striped highlightOnHover>
        <Table.Caption>Patients matching the search</Table.Caption>
        <ColumnHeads names={['Name', 'Birth date', 'Gender', 'MRN']} />
        <Table.Tbody>
          {patients.map((p) => (
            <Table.Tr key={p.id}>
              <Table.Td>
                <Anchor component={Link} href={`/patients/${p.id}`}>
                  {nameText(p.name)}
                </Anchor>
              </Table.Td>
              <Table.Td>{dateText(p.birthDate)}</Table.Td>
              <Table.Td>{p.gender}</Table.Td>
              <Table.Td>{mrn(p.identifier)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  );
}
