import { Anchor, Table, Text } from '@mantine/core';
import type { Bundle, Task } from 'fhir/r4';
import { Link } from 'wouter';
import { includedNames, nameOf, resources } from '../../api/fhir';
import { ageDays, dateText, localId } from '../../api/format';
import { tabOf } from '../chart/ChartPage';
import { ColumnHeads } from '../../components/ColumnHeads';

/** Names of the patients and clinicians come with the Tasks (one request). */
export const TASK_INCLUDES = '_include=Task:patient&_include=Task:owner';

export const OPEN_STATUSES = ['requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold'];

/** Delinquency judged now from the deadline, as $completeness-summary does, for an open Task. */
export function delinquent(t: Task): boolean {
  const end = t.restriction?.period?.end;
  return OPEN_STATUSES.includes(t.status) && end !== undefined && new Date(end).getTime() < Date.now();
}

/** The chart at the gap: the tab of the focus, that row marked, the deficiency named above. */
export function chartAtGap(t: Task): string | undefined {
  const patient = localId(t.for?.reference, 'Patient') ?? localId(t.focus?.reference, 'Patient');
  if (!patient) return undefined;
  const q = new URLSearchParams({ tab: tabOf(t.focus?.reference), focus: t.focus?.reference ?? '', task: t.id ?? '' });
  return `/patients/${encodeURIComponent(patient)}?${q}`;
}

/** The description without the rule's title it starts with (the title has its own column). */
function missing(t: Task): string {
  const title = t.code?.coding?.[0]?.display;
  const text = t.description ?? '';
  return title && text.startsWith(`${title}: `) ? text.slice(title.length + 2) : text;
}

export function DeficiencyTable({ bundle, caption, filter }: { bundle: Bundle; caption: string; filter?: (t: Task) => boolean }) {
  const known = includedNames(bundle);
  const tasks = resources<Task>(bundle, 'Task')
    .filter((t) => !filter || filter(t))
    .sort((a, b) => Number(OPEN_STATUSES.includes(b.status)) - Number(OPEN_STATUSES.includes(a.status)));
  if (tasks.length === 0) return <Text>No deficiencies.</Text>;
  const label = (r: Task['owner']) => nameOf(known, r) || 'unassigned';
  return (
    <Table striped highlightOnHover>
      <Table.Caption>{caption}</Table.Caption>
      <ColumnHeads names={['Rule', 'What is missing', 'Record', 'Patient', 'Clinician', 'Began', 'Due', 'Age (days)', 'State', 'Chart']} />
      <Table.Tbody>
        {tasks.map((t) => {
          const at = chartAtGap(t);
          const open = OPEN_STATUSES.includes(t.status);
          return (
            <Table.Tr key={t.id}>
              <Table.Td>{t.code?.coding?.[0]?.display ?? t.code?.coding?.[0]?.code}</Table.Td>
              <Table.Td>{missing(t)}</Table.Td>
              <Table.Td>{t.focus?.reference}</Table.Td>
              <Table.Td>{label(t.for)}</Table.Td>
              <Table.Td>{label(t.owner)}</Table.Td>
              <Table.Td>{dateText(t.restriction?.period?.start)}</Table.Td>
              <Table.Td>{dateText(t.restriction?.period?.end)}</Table.Td>
              <Table.Td>{open ? ageDays(t.restriction?.period?.start) : ''}</Table.Td>
              <Table.Td>
                <Text size="sm" fw={600} c={open ? undefined : 'dimmed'} className={open ? (delinquent(t) ? 'state-late' : 'state-due') : undefined}>
                  {open ? (delinquent(t) ? 'delinquent' : 'deficient') : t.status}
                  {open && t.status !== 'requested' ? `, ${t.status}` : ''}
                </Text>
              </Table.Td>
              <Table.Td>
                {at && (
                  <Anchor component={Link} href={at} aria-label={`Open chart: ${t.description ?? 'this deficiency'}`}>
                    Open chart
                  </Anchor>
                )}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
