import type { IndexDescription, Filter } from 'mongodb';
import type { Resource } from 'fhir/r4';
import { allOf } from '../store/policy-filter';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';
import { type CalendarDate, calendarDate } from './dates';
import type { RetentionSearch } from './search-access';

/**
 * The latest date a patient's resources of one kind state (the end of the last encounter, the date of the latest
 * genetics report), found by one sorted indexed query: the index `{c: 1, s.o.<param>.d: -1}` (`retentionIndexSpec`)
 * holds, per patient, each resource's highest value of the date parameter, so the query reads the patient's most
 * recent resources first and stops.
 *
 * The sort key is an instant (a date-only value counts to the end of its day in UTC); the policy counts calendar
 * dates in its own zone. The two orders can disagree by less than a day (a date-only end and an instant late in
 * the day elsewhere), so every resource within two days of the first is read and its date recomputed from the
 * resource itself, in the policy's zone.
 */
export type Latest =
  | { kind: 'none' }
  /** A resource whose date has no end (an Encounter still in progress): the period has not started. */
  | { kind: 'open'; resource: string }
  | { kind: 'date'; date: CalendarDate; resource: string };

/** The documents read beyond the first, at most: a patient with more resources within two days is unusual. */
const MAX_READ = 64;
const WINDOW_MS = 2 * 24 * 3600_000;

/** The name and keys of the index a (type, date parameter) pair is sorted by. */
export function retentionIndexSpec(code: string): IndexDescription {
  return { key: { c: 1, [`s.o.${code}.d`]: -1 }, name: `retention_${code}` };
}

type SortedDoc = Pick<StoredDocument, '_id' | 'r'> & { s?: { o?: Record<string, { d?: unknown }> } };

/** The calendar date a date parameter's value ends on in `zone`; 'open' for a Period without an end. */
function endOf(value: unknown, zone: string): CalendarDate | 'open' | undefined {
  if (typeof value === 'string') return calendarDate(value, zone);
  if (!value || typeof value !== 'object') return undefined;
  const period = value as { start?: unknown; end?: unknown };
  if ('start' in period || 'end' in period) return typeof period.end === 'string' ? calendarDate(period.end, zone) : 'open';
  return undefined;
}

/** The latest end of a resource's values of `code` ('open' wins). */
function resourceEnd(resource: Resource, code: string, search: RetentionSearch, zone: string): CalendarDate | 'open' | undefined {
  let latest: CalendarDate | undefined;
  for (const v of search.dateValues(resource, code)) {
    const end = endOf(v, zone);
    if (end === 'open') return 'open';
    if (end && (!latest || end > latest)) latest = end;
  }
  return latest;
}

export async function latestDate(
  repo: Repository,
  patientId: string,
  query: { type: string; code: string; filter: Filter<StoredDocument> },
  search: RetentionSearch,
  zone: string,
): Promise<Latest> {
  const { type, code } = query;
  const field = `s.o.${code}.d`;
  const docs = repo.find(type, allOf({ c: `Patient/${patientId}`, [field]: { $exists: true } }, query.filter), {
    sort: { [field]: -1 },
    limit: MAX_READ,
    projection: { _id: 1, r: 1, [field]: 1 },
  }) as AsyncIterable<SortedDoc>;
  let first: number | undefined;
  let best: Latest = { kind: 'none' };
  for await (const doc of docs) {
    const key = doc.s?.o?.[code]?.d;
    if (!(key instanceof Date)) break;
    first ??= key.getTime();
    if (key.getTime() < first - WINDOW_MS) break;
    const end = resourceEnd(JSON.parse(doc.r) as Resource, code, search, zone);
    const ref = `${type}/${doc._id}`;
    if (end === 'open') return { kind: 'open', resource: ref };
    if (end && (best.kind === 'none' || (best.kind === 'date' && end > best.date))) best = { kind: 'date', date: end, resource: ref };
  }
  return best;
}

/** Does the patient have a live resource of `type` matching `filter` (one indexed look-up on the compartment)? */
export async function hasAny(repo: Repository, patientId: string, type: string, filter: Filter<StoredDocument>): Promise<boolean> {
  for await (const doc of repo.find(type, allOf({ c: `Patient/${patientId}` }, filter), { limit: 1, projection: { _id: 1 } })) {
    if (doc) return true;
  }
  return false;
}
