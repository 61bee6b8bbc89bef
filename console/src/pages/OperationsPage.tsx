import { Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import type { Parameters } from 'fhir/r4';
import { useEffect, useState } from 'react';
import { paramValue, request } from '../api/fhir';
import { dateText } from '../api/format';
import { useFhir } from '../api/use-fhir';
import { ColumnHeads } from '../components/ColumnHeads';
import { Async, ErrorMessage } from '../components/Status';

interface JobRow {
  id: string;
  kind: string;
  status: string;
  request: string;
  created: string;
  processed: number;
  error?: string;
  statusUrl: string;
}

const KINDS: Record<string, string> = {
  export: 'Bulk export',
  import: 'Load ($import)',
  'completeness-audit': 'Completeness audit',
  'find-duplicates': 'Duplicate search',
  'patient-merge': 'Merge',
  'patient-unmerge': 'Undo of a merge',
  'destruction-review': 'Destruction review',
  destruction: 'Destruction',
};

const STATUS_COLOR: Record<string, string> = { queued: 'gray', running: 'blue', completed: 'green', failed: 'red', cancelled: 'gray' };
const live = (status: string) => status === 'queued' || status === 'running';

function jobsOf(p: Parameters): JobRow[] {
  return (p.parameter ?? []).map((j) => ({
    id: String(paramValue(j.part, 'id')),
    kind: String(paramValue(j.part, 'kind')),
    status: String(paramValue(j.part, 'status')),
    request: String(paramValue(j.part, 'request') ?? ''),
    created: String(paramValue(j.part, 'created') ?? ''),
    processed: Number(paramValue(j.part, 'processed') ?? 0),
    error: paramValue(j.part, 'error') as string | undefined,
    statusUrl: String(paramValue(j.part, 'status-url')),
  }));
}

/** The kick-off's operation and query, without the server's base. */
const requestText = (url: string) => url.replace(/^https?:\/\/[^/]+\/fhir\/?/, '') || '(the server)';

/**
 * The server's work: its health and readiness (`/healthz`, `/readyz`), and the caller's asynchronous jobs
 * (`$jobs`): exports, loads, audits, merges, reviews, with their progress while they run (the status URL's
 * X-Progress) and cancel (DELETE of the status URL, which also removes a finished job's files).
 */
export function OperationsPage() {
  const jobs = useFhir<Parameters>('$jobs');
  const rows = jobs.data ? jobsOf(jobs.data) : [];
  const running = rows.some((r) => live(r.status));
  const [progress, setProgress] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error>();
  const { reload } = jobs;
  // While a job runs: its progress every two seconds, and the list again.
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => {
      for (const r of rows.filter((x) => live(x.status))) {
        request(r.statusUrl).then(
          (res) => setProgress((p) => ({ ...p, [r.id]: res.headers.get('x-progress') ?? '' })),
          () => undefined,
        );
      }
      reload();
    }, 2000);
    return () => clearInterval(t);
  }, [running, rows, reload]);
  const act = (p: Promise<unknown>) =>
    p.then(
      () => {
        setError(undefined);
        reload();
      },
      (err: Error) => setError(err),
    );
  return (
    <Stack>
      <Title order={2}>Operations</Title>
      <Health />
      <Group justify="space-between" align="end">
        <Title order={3}>Jobs</Title>
        <Group>
          <Button variant="default" onClick={reload}>
            Refresh
          </Button>
          <Button onClick={() => act(request('$export', { headers: { prefer: 'respond-async' } }))}>Start a bulk export</Button>
        </Group>
      </Group>
      {error && <ErrorMessage error={error} />}
      <Async state={jobs} label="Loading the jobs">
        {() =>
          rows.length === 0 ? (
            <Text>No job yet.</Text>
          ) : (
            <Table striped>
              <Table.Caption>Your jobs, newest first</Table.Caption>
              <ColumnHeads names={['Job', 'Request', 'Started', 'Status', 'Items done', 'Action']} />
              <Table.Tbody>
                {rows.map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>{KINDS[r.kind] ?? r.kind}</Table.Td>
                    <Table.Td className="break-all">{requestText(r.request)}</Table.Td>
                    <Table.Td>{dateText(r.created)}</Table.Td>
                    <Table.Td>
                      <Badge color={STATUS_COLOR[r.status] ?? 'gray'} variant="light">
                        {r.status}
                      </Badge>
                      {live(r.status) && progress[r.id] && <Text size="xs">{progress[r.id]}</Text>}
                      {r.error && <Text size="xs">{r.error}</Text>}
                    </Table.Td>
                    <Table.Td>{r.processed}</Table.Td>
                    <Table.Td>
                      {r.status !== 'cancelled' && (
                        <Button
                          size="compact-sm"
                          variant="light"
                          color="red"
                          onClick={() => act(request(r.statusUrl, { method: 'DELETE' }))}
                          aria-label={`${live(r.status) ? 'Cancel' : 'Remove'} the ${KINDS[r.kind] ?? r.kind} job started ${dateText(r.created)}`}
                        >
                          {live(r.status) ? 'Cancel' : 'Remove'}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Async>
    </Stack>
  );
}

/** `/readyz` (the store answers) and `/healthz`'s facts, read again on demand. */
function Health() {
  const [state, setState] = useState<{ ready?: boolean; facts?: Record<string, unknown>; error?: Error }>({});
  const [round, setRound] = useState(0);
  useEffect(() => {
    let on = true;
    Promise.all([fetch('/readyz').then((r) => r.ok), fetch('/healthz').then((r) => r.json() as Promise<Record<string, unknown>>)]).then(
      ([ready, facts]) => on && setState({ ready, facts }),
      () => on && setState({ error: new Error('The server cannot be reached') }),
    );
    return () => {
      on = false;
    };
  }, [round]);
  return (
    <Stack gap="xs">
      <Group>
        <Title order={3}>Server health</Title>
        {state.ready !== undefined && (
          <Badge color={state.ready ? 'green' : 'red'} variant="light">
            {state.ready ? 'Ready' : 'Store unreachable'}
          </Badge>
        )}
        <Button size="compact-sm" variant="default" onClick={() => setRound((n) => n + 1)}>
          Check again
        </Button>
      </Group>
      {state.error && <ErrorMessage error={state.error} />}
      {state.facts && (
        <Table>
          <Table.Caption>What the server reports (/healthz)</Table.Caption>
          <Table.Tbody>
            {Object.entries(state.facts).map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Th scope="row">{k}</Table.Th>
                <Table.Td className="break-all">{typeof v === 'string' ? v : JSON.stringify(v)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
