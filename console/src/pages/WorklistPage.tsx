import { Alert, Button, Group, Progress, Select, Stack, Text, Title } from '@mantine/core';
import type { Bundle, Parameters, Practitioner, Task } from 'fhir/r4';
import { useMemo, useState } from 'react';
import { query, request, resources, runAsync } from '../api/fhir';
import { ageDays, localId, nameText } from '../api/format';
import { useFhir } from '../api/use-fhir';
import { Async, ErrorMessage } from '../components/Status';
import { DeficiencyTable, OPEN_STATUSES, TASK_INCLUDES } from './worklist/DeficiencyTable';
import { readSummary, Summary } from './worklist/Summary';

const RULE_SYSTEM = 'http://fhirstone.org/fhir/CodeSystem/deficiency-rule';
const STATUS: Record<string, string | undefined> = { open: OPEN_STATUSES.join(','), completed: 'completed', cancelled: 'cancelled', any: undefined };
const AGES: Record<string, [number, number]> = { '0-7': [0, 7], '8-14': [8, 14], '15-30': [15, 30], 'over-30': [31, Infinity] };

interface Manifest {
  output?: Array<{ type: string; url: string }>;
}

/** The report line of an audit's manifest (per rule: created, completed, ...), summed over the rules. */
async function auditReport(manifest: Manifest): Promise<string> {
  const file = manifest.output?.find((o) => o.type === 'Parameters');
  if (!file) return 'The audit finished.';
  const text = await (await request(file.url, { headers: { accept: 'application/fhir+ndjson' } })).text();
  const sums: Record<string, number> = {};
  for (const line of text.split('\n').filter(Boolean)) {
    for (const rule of (JSON.parse(line) as Parameters).parameter ?? [])
      for (const p of rule.part ?? []) if (p.valueInteger !== undefined) sums[p.name] = (sums[p.name] ?? 0) + p.valueInteger;
  }
  return `The audit finished: ${sums.evaluated ?? 0} evaluated, ${sums.created ?? 0} new deficiencies, ${sums.completed ?? 0} completed, ${sums.cancelled ?? 0} cancelled.`;
}

/** The names of the clinicians the summary counts by (Practitioner references), in one search. */
function useOwnerNames(summary: Parameters | undefined): Map<string, string> {
  const ids = (summary?.parameter ?? [])
    .filter((p) => p.name === 'owner')
    .map((p) => localId(p.part?.find((x) => x.name === 'owner')?.valueReference?.reference, 'Practitioner'))
    .filter((id): id is string => id !== undefined);
  const found = useFhir<Bundle>(ids.length ? `Practitioner?_id=${ids.map(encodeURIComponent).join(',')}&_count=${ids.length}` : null);
  return useMemo(() => new Map(resources<Practitioner>(found.data, 'Practitioner').map((p) => [`Practitioner/${p.id}`, nameText(p.name)])), [found.data]);
}

/** The deficiency worklist: the summary as counts and bars, filters, the Tasks, and the audit that finds them. */
export function WorklistPage() {
  const [owner, setOwner] = useState<string | null>(null);
  const [rule, setRule] = useState<string | null>(null);
  const [status, setStatus] = useState<string>('open');
  const [late, setLate] = useState<string | null>(null);
  const [age, setAge] = useState<string | null>(null);
  const [job, setJob] = useState<{ progress?: string; done?: string; error?: Error }>({});

  const summary = useFhir<Parameters>('$completeness-summary');
  const path = `Task?${query({
    code: rule ? `${RULE_SYSTEM}|${rule}` : `${RULE_SYSTEM}|`,
    owner: owner && owner !== 'unassigned' ? owner : undefined,
    'owner:missing': owner === 'unassigned' ? 'true' : undefined,
    status: STATUS[status],
    'business-status': late ?? undefined,
    _count: '200',
  })}&${TASK_INCLUDES}`;
  const tasks = useFhir<Bundle>(path);

  const owners = useOwnerNames(summary.data);
  const data = useMemo(() => summary.data && readSummary(summary.data, (r) => owners.get(r) ?? r), [summary.data, owners]);
  const ageFilter = age ? (t: Task) => ((d) => d !== undefined && d >= AGES[age][0] && d <= AGES[age][1])(ageDays(t.restriction?.period?.start)) : undefined;

  const runAudit = async () => {
    setJob({ progress: 'starting' });
    try {
      const manifest = await runAsync<Manifest>('$completeness-audit', { method: 'POST', body: JSON.stringify({ resourceType: 'Parameters' }) }, (p) =>
        setJob({ progress: p }),
      );
      setJob({ done: await auditReport(manifest) });
      summary.reload();
      tasks.reload();
    } catch (error) {
      setJob({ error: error as Error });
    }
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Deficiency worklist</Title>
        <Button onClick={runAudit} loading={job.progress !== undefined} loaderProps={{ 'aria-label': 'Audit running' }}>
          Run completeness audit
        </Button>
      </Group>
      {job.progress !== undefined && (
        <Stack gap={4} role="status">
          <Text size="sm">Auditing charts: {job.progress}</Text>
          <Progress value={100} animated striped aria-label="Audit in progress" />
        </Stack>
      )}
      {job.done && (
        <Alert color="green" role="status">
          {job.done}
        </Alert>
      )}
      {job.error && <ErrorMessage error={job.error} title="The audit failed" />}
      <Async state={summary} label="Loading the summary">
        {() => data && <Summary data={data} />}
      </Async>
      <Group align="end">
        <Select
          label="Clinician"
          placeholder="Any"
          clearable
          data={(data?.owners ?? []).map((o) => ({ value: o.key, label: o.label }))}
          value={owner}
          onChange={setOwner}
        />
        <Select label="Rule" placeholder="Any" clearable data={(data?.rules ?? []).map((r) => ({ value: r.key, label: r.label }))} value={rule} onChange={setRule} />
        <Select
          label="Status"
          data={[
            { value: 'open', label: 'Open' },
            { value: 'completed', label: 'Completed' },
            { value: 'cancelled', label: 'Cancelled' },
            { value: 'any', label: 'Any' },
          ]}
          value={status}
          onChange={(v) => setStatus(v ?? 'open')}
          allowDeselect={false}
        />
        <Select
          label="Deadline"
          placeholder="Any"
          clearable
          data={[
            { value: 'deficient', label: 'Within deadline' },
            { value: 'delinquent', label: 'Delinquent' },
          ]}
          value={late}
          onChange={setLate}
        />
        <Select
          label="Age"
          placeholder="Any"
          clearable
          data={Object.keys(AGES).map((a) => ({ value: a, label: a === 'over-30' ? 'over 30 days' : `${a} days` }))}
          value={age}
          onChange={setAge}
        />
      </Group>
      <Async state={tasks} label="Loading deficiencies">
        {(bundle) => <DeficiencyTable bundle={bundle} caption="Deficiencies matching the filters" filter={ageFilter} />}
      </Async>
    </Stack>
  );
}
