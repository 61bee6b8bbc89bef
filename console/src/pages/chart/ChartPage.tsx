import { Alert, Anchor, Badge, Group, Stack, Tabs, Text, Title } from '@mantine/core';
import type { Patient, Task } from 'fhir/r4';
import { Link, useLocation, useSearch } from 'wouter';
import { dateText, mrn, nameText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { Permitted } from '../../components/Permitted';
import { Async } from '../../components/Status';
import { AccessReport } from './AccessReport';
import { Conditions } from './Conditions';
import { Demographics } from './Demographics';
import { Disclosures } from './Disclosures';
import { Documents } from './Documents';
import { Encounters } from './Encounters';
import { HistoryButton } from './History';
import { MergeButton, MergedBanner } from './Merge';
import { PatientDeficiencies } from './PatientDeficiencies';
import { Retention } from './Retention';

const TABS = [
  { value: 'summary', label: 'Demographics' },
  { value: 'encounters', label: 'Encounters' },
  { value: 'conditions', label: 'Conditions' },
  { value: 'documents', label: 'Documents' },
  { value: 'deficiencies', label: 'Deficiencies' },
  { value: 'retention', label: 'Retention and holds' },
  { value: 'disclosures', label: 'Disclosures' },
  { value: 'access', label: 'Access report' },
];

/**
 * A patient's chart. The URL names the tab and, when opened from a deficiency, the resource at the gap
 * (`?tab=encounters&focus=Encounter/1&task=dfc-...`): that row is marked and the deficiency shown above.
 */
export function ChartPage({ id }: { id: string }) {
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const tab = params.get('tab') ?? 'summary';
  const focus = params.get('focus') ?? undefined;
  const taskId = params.get('task');
  const merged = params.get('merged');
  const patient = useFhir<Patient>(`Patient/${encodeURIComponent(id)}`);
  const task = useFhir<Task>(taskId ? `Task/${encodeURIComponent(taskId)}` : null);

  return (
    <Async state={patient} label="Loading the chart">
      {(p) => (
        <Stack>
          <Group justify="space-between">
            <div>
              <Title order={2}>{nameText(p.name)}</Title>
              <Text c="dimmed">
                Born {dateText(p.birthDate) || 'unknown'} · {p.gender ?? 'gender unknown'} · MRN {mrn(p.identifier) || 'none'}
                {p.deceasedBoolean || p.deceasedDateTime ? ' · deceased' : ''}
              </Text>
            </div>
            <Group>
              {p.active === false && (
                <Badge color="gray" variant="light">
                  inactive
                </Badge>
              )}
              <HistoryButton type="Patient" id={p.id!} label="Patient record" />
              <MergeButton patient={p} proposed={params.get('mergeInto') ?? undefined} />
              <Anchor component={Link} href={`/audit?patient=${encodeURIComponent(p.id!)}`}>
                Audit trail
              </Anchor>
            </Group>
          </Group>
          <MergedBanner patient={p} onChange={patient.reload} />
          {merged && (
            <Alert color="green" role="status" title="Merged">
              {merged}
            </Alert>
          )}
          {task.data && (
            <Alert color="orange" title={`Deficiency: ${task.data.code?.coding?.[0]?.display ?? task.data.code?.text ?? 'open item'}`}>
              {task.data.description} {task.data.restriction?.period?.end ? `(due ${dateText(task.data.restriction.period.end)})` : ''}
            </Alert>
          )}
          <Tabs value={tab} onChange={(v) => navigate(`/patients/${encodeURIComponent(id)}?tab=${v ?? 'summary'}`)} keepMounted={false}>
            <Tabs.List>
              {TABS.map((t) => (
                <Tabs.Tab key={t.value} value={t.value}>
                  {t.label}
                </Tabs.Tab>
              ))}
            </Tabs.List>
            <Tabs.Panel value="summary" pt="md">
              <Demographics patient={p} />
            </Tabs.Panel>
            <Tabs.Panel value="encounters" pt="md">
              <Encounters patientId={p.id!} focus={focus} />
            </Tabs.Panel>
            <Tabs.Panel value="conditions" pt="md">
              <Conditions patientId={p.id!} focus={focus} />
            </Tabs.Panel>
            <Tabs.Panel value="documents" pt="md">
              <Documents patientId={p.id!} focus={focus} />
            </Tabs.Panel>
            <Tabs.Panel value="deficiencies" pt="md">
              <PatientDeficiencies patientId={p.id!} />
            </Tabs.Panel>
            <Tabs.Panel value="retention" pt="md">
              <Retention patientId={p.id!} />
            </Tabs.Panel>
            <Tabs.Panel value="disclosures" pt="md">
              <Disclosures patientId={p.id!} />
            </Tabs.Panel>
            <Tabs.Panel value="access" pt="md">
              <Permitted type="AuditEvent" needs={['r']} what="the access report">
                <AccessReport patientId={p.id!} />
              </Permitted>
            </Tabs.Panel>
          </Tabs>
        </Stack>
      )}
    </Async>
  );
}

/** The chart's tab where a resource is shown. */
export function tabOf(reference: string | undefined): string {
  const type = reference?.split('/').slice(-2)[0];
  if (type === 'Encounter') return 'encounters';
  if (type === 'DocumentReference') return 'documents';
  if (type === 'Condition') return 'conditions';
  return 'summary';
}
