import { Alert, Button, Card, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import type { AuditEvent, Bundle, Parameters } from 'fhir/r4';
import { useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { fhir, nextLink, query, resources } from '../api/fhir';
import { dateText } from '../api/format';
import { useFhir } from '../api/use-fhir';
import { Async, ErrorMessage, Loading } from '../components/Status';
import { ColumnHeads } from '../components/ColumnHeads';

const FIELDS = ['patient', 'entity', 'agent-name', 'date-from', 'date-to', 'action', 'outcome'] as const;
type Filters = Record<(typeof FIELDS)[number], string>;

const ACTION: Record<string, string> = { C: 'create', R: 'read', U: 'update', D: 'delete', E: 'execute' };
const OUTCOME: Record<string, string> = { '0': 'success', '4': 'minor failure', '8': 'serious failure', '12': 'major failure' };

/** The filters as an AuditEvent search, newest first; a bare patient id is a Patient reference. */
function searchPath(f: Filters): string {
  const patient = f.patient && !f.patient.includes('/') ? `Patient/${f.patient}` : f.patient;
  const params = new URLSearchParams(
    query({ patient, entity: f.entity, 'agent-name': f['agent-name'], action: f.action, outcome: f.outcome, _sort: '-date', _count: '100' }),
  );
  if (f['date-from']) params.append('date', `ge${f['date-from']}`);
  if (f['date-to']) params.append('date', `le${f['date-to']}`);
  return `AuditEvent?${params}`;
}

/** The audit trail: a patient's or a user's events with filters, and whether the hash chain is intact. */
export function AuditPage() {
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const asked = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? ''])) as Filters;
  const [form, setForm] = useState<Filters>(asked);
  const [page, setPage] = useState<string>();
  const events = useFhir<Bundle>(page ?? searchPath(asked));
  const set = (k: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.currentTarget.value });
  /** A filter by code, its options the codes' labels; cleared: any. */
  const codeSelect = (k: 'action' | 'outcome', label: string, codes: Record<string, string>) => (
    <Select
      label={label}
      placeholder="Any"
      clearable
      data={Object.entries(codes).map(([value, label]) => ({ value, label }))}
      value={form[k] || null}
      onChange={(v) => setForm({ ...form, [k]: v ?? '' })}
    />
  );

  return (
    <Stack>
      <Title order={2}>Audit trail</Title>
      <VerifyChain />
      <form
        role="search"
        aria-label="Filter the audit trail"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(undefined);
          navigate(`/audit?${query(form)}`);
        }}
      >
        <Group align="end">
          <TextInput label="Patient" placeholder="id or Patient/id" value={form.patient} onChange={set('patient')} />
          <TextInput label="Record" placeholder="Type/id" value={form.entity} onChange={set('entity')} />
          <TextInput label="User or client" value={form['agent-name']} onChange={set('agent-name')} />
          <TextInput label="From" type="date" value={form['date-from']} onChange={set('date-from')} />
          <TextInput label="To" type="date" value={form['date-to']} onChange={set('date-to')} />
          {codeSelect('action', 'Action', ACTION)}
          {codeSelect('outcome', 'Outcome', OUTCOME)}
          <Button type="submit">Filter</Button>
        </Group>
      </form>
      <Async state={events} label="Loading audit events">
        {(bundle) => (
          <>
            <Events events={resources<AuditEvent>(bundle, 'AuditEvent')} />
            {nextLink(bundle) && (
              <Button variant="light" onClick={() => setPage(nextLink(bundle))} w="fit-content">
                Older events
              </Button>
            )}
          </>
        )}
      </Async>
    </Stack>
  );
}

const who = (e: AuditEvent) =>
  (e.agent ?? [])
    .filter((a) => a.requestor)
    .map((a) => a.name ?? a.who?.display ?? a.who?.reference ?? a.who?.identifier?.value)
    .filter(Boolean)
    .join(', ') ||
  (e.agent?.[0]?.who?.display ?? '');

/** The records an event names: the first few, and how many more. */
function recordsText(e: AuditEvent): string {
  const refs = (e.entity ?? []).map((x) => x.what?.reference).filter((r): r is string => r !== undefined);
  return refs.length > 4 ? `${refs.slice(0, 3).join(', ')} and ${refs.length - 3} more` : refs.join(', ');
}

function Events({ events }: { events: AuditEvent[] }) {
  if (events.length === 0) return <Text>No events match.</Text>;
  return (
    <Table striped>
      <Table.Caption>Audit events, newest first</Table.Caption>
      <ColumnHeads names={['When', 'Action', 'What', 'Who', 'Records', 'Outcome']} />
      <Table.Tbody>
        {events.map((e) => (
          <Table.Tr key={e.id}>
            <Table.Td>{dateText(e.recorded)}</Table.Td>
            <Table.Td>{ACTION[e.action ?? ''] ?? e.action}</Table.Td>
            <Table.Td>{e.subtype?.map((s) => s.display ?? s.code).join(', ') || e.type.display || e.type.code}</Table.Td>
            <Table.Td>{who(e)}</Table.Td>
            <Table.Td>{recordsText(e)}</Table.Td>
            <Table.Td>
              <Text size="sm" fw={600} className={e.outcome === '0' ? 'state-ok' : 'state-late'}>
                {OUTCOME[e.outcome ?? ''] ?? e.outcome}
              </Text>
              {e.outcomeDesc && <Text size="xs">{e.outcomeDesc}</Text>}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);

/** AuditEvent/$verify-chain on demand: it walks the whole trail, so it runs when asked, with a progress indicator. */
function VerifyChain() {
  const [state, setState] = useState<{ running?: boolean; result?: Parameters; error?: Error }>({});
  const run = () => {
    setState({ running: true });
    fhir<Parameters>('AuditEvent/$verify-chain').then(
      (result) => setState({ result }),
      (error: Error) => setState({ error }),
    );
  };
  const r = state.result;
  return (
    <Card withBorder>
      <Group justify="space-between">
        <Text fw={600}>Hash chain of the trail</Text>
        <Button variant="light" onClick={run} disabled={state.running}>
          Verify the chain
        </Button>
      </Group>
      {state.running && <Loading label="Verifying the chain" />}
      {state.error && <ErrorMessage error={state.error} />}
      {r && (
        <Alert
          mt="sm"
          role="status"
          color={param(r, 'intact')?.valueBoolean ? 'green' : 'red'}
          title={param(r, 'intact')?.valueBoolean ? 'The chain is intact' : 'The chain is broken'}
        >
          {param(r, 'checked')?.valueInteger ?? 0} events checked, {param(r, 'breaks')?.valueInteger ?? 0} breaks.
          {(r.parameter ?? [])
            .filter((x) => x.name === 'break')
            .map((b, n) => (
              <Text key={n} size="sm">
                {b.part?.map((x) => `${x.name}: ${x.valueCode ?? x.valueString ?? x.valueId ?? x.valueDecimal ?? ''}`).join(', ')}
              </Text>
            ))}
        </Alert>
      )}
    </Card>
  );
}
