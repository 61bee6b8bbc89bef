import { badRequest } from '../errors/operation-outcome-error';
import { dateValue } from '../operations/parameters';
import type { Period } from '../store/audit-collection';

/**
 * The period a report covers, from its `start` and `end` parameters (FHIR dates or dateTimes: `start` from the
 * first instant it covers, `end` to the last): by default the `lookbackYears` (six) up to now, or up to `end`.
 */
export function reportPeriod(input: ReadonlyArray<[string, string]>, lookbackYears: number, now: Date): Period {
  const end = dateValue(input, 'end')?.hi ?? now;
  const start = dateValue(input, 'start')?.lo ?? new Date(new Date(end).setUTCFullYear(end.getUTCFullYear() - lookbackYears));
  if (start > end) throw badRequest('start must not be after end', 'start');
  return { start, end };
}
