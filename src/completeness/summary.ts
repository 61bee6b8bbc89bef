import type { Parameters, ParametersParameter, Reference, Task } from 'fhir/r4';
import type { Repository } from '../store/repository';
import type { SearchAccess } from './search-access';
import { OPEN_STATUSES, RULE_SYSTEM, statusAt } from './task';

const DAY = 86_400_000;

/** Age bands of an open deficiency, in whole days since it began (Task.restriction.period.start). */
export const AGE_BANDS: ReadonlyArray<{ label: string; max: number }> = [
  { label: '0-7', max: 7 },
  { label: '8-14', max: 14 },
  { label: '15-30', max: 30 },
  { label: 'over-30', max: Infinity },
];

interface Tally {
  open: number;
  deficient: number;
  delinquent: number;
}

const tally = (): Tally => ({ open: 0, deficient: 0, delinquent: 0 });

function count(map: Map<string, Tally>, key: string, delinquent: boolean): void {
  let t = map.get(key);
  if (!t) map.set(key, (t = tally()));
  t.open++;
  t[delinquent ? 'delinquent' : 'deficient']++;
}

const ownerKey = (r: Reference | undefined): string =>
  r?.reference ?? (r?.identifier ? `${r.type ?? ''}?identifier=${r.identifier.system ?? ''}|${r.identifier.value ?? ''}` : (r?.display ?? ''));

const counts = (t: Tally): ParametersParameter[] => [
  { name: 'open', valueInteger: t.open },
  { name: 'deficient', valueInteger: t.deficient },
  { name: 'delinquent', valueInteger: t.delinquent },
];

/**
 * `$completeness-summary`: the open deficiency Tasks the caller may search, counted by rule, by owner (the
 * responsible clinician) and by age band. Delinquency is judged now, from each Task's deadline, not from the
 * businessStatus the last audit wrote.
 */
export async function summary(repo: Repository, search: SearchAccess, now: Date = new Date()): Promise<Parameters> {
  const byRule = new Map<string, Tally>();
  const titles = new Map<string, string>();
  const byOwner = new Map<string, Tally>();
  const owners = new Map<string, Reference>();
  const byAge = new Map<string, Tally>(AGE_BANDS.map((b) => [b.label, tally()]));
  const total = tally();
  const filter = search.filter('Task', `code=${RULE_SYSTEM}|&status=${[...OPEN_STATUSES].join(',')}`);
  await repo.flush('Task');
  for await (const doc of repo.find('Task', filter, { projection: { r: 1 } })) {
    const task = JSON.parse(doc.r) as Task;
    const coding = task.code?.coding?.find((c) => c.system === RULE_SYSTEM);
    const period = task.restriction?.period;
    if (!coding?.code || !period?.start || !period.end) continue;
    const delinquent = statusAt(new Date(period.end), now) === 'delinquent';
    count(byRule, coding.code, delinquent);
    titles.set(coding.code, coding.display ?? coding.code);
    const key = ownerKey(task.owner);
    count(byOwner, key, delinquent);
    if (task.owner) owners.set(key, task.owner);
    const age = Math.max(0, Math.floor((now.getTime() - new Date(period.start).getTime()) / DAY));
    count(byAge, AGE_BANDS.find((b) => age <= b.max)!.label, delinquent);
    total.open++;
    total[delinquent ? 'delinquent' : 'deficient']++;
  }
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'asOf', valueInstant: now.toISOString() },
      ...counts(total),
      ...sorted(byRule).map(([code, t]) => ({
        name: 'rule',
        part: [{ name: 'code', valueCoding: { system: RULE_SYSTEM, code, display: titles.get(code) } }, ...counts(t)],
      })),
      ...sorted(byOwner).map(([key, t]) => ({
        name: 'owner',
        part: [owners.has(key) ? { name: 'owner', valueReference: owners.get(key) } : { name: 'unassigned', valueBoolean: true }, ...counts(t)],
      })),
      ...AGE_BANDS.map((b) => ({ name: 'age', part: [{ name: 'days', valueString: b.label }, ...counts(byAge.get(b.label)!)] })),
    ],
  };
}
