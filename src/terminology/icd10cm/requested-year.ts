import { notFound, badRequest } from '../../errors/operation-outcome-error';
import type { Icd10CmCodeSystem } from './code-system';
import { fiscalYearOf, formatServiceDate, serviceDate } from './fiscal-year';
import { loadedYears } from './check';

/** The code set a terminology request asks about, and how to name its date in messages. */
export interface RequestedYear {
  fiscalYear: number;
  /** Absent when a version named the year. */
  dateText?: string;
}

const VERSION = /^(?:FY)?(\d{4})$/i;

/**
 * The fiscal year a `$lookup`/`$validate-code` answers for: `version` names one (`2026` or `FY2026`; one not
 * loaded is 404), else `date` (a FHIR date or dateTime: its calendar date as written), else today. A date outside
 * the loaded years is answered from the nearest (the answer says so), never refused.
 */
export function requestedYear(icd: Icd10CmCodeSystem, version: string | undefined, date: string | undefined, now = new Date()): RequestedYear {
  if (version !== undefined) {
    const m = VERSION.exec(version);
    const fy = m ? Number(m[1]) : NaN;
    if (!icd.years.includes(fy)) {
      throw notFound(`ICD-10-CM version '${version}' is not loaded here: the versions are the fiscal years ${loadedYears(icd)}`);
    }
    return { fiscalYear: fy };
  }
  if (date !== undefined) {
    const d = serviceDate(date);
    if (!d) throw badRequest(`date must be a FHIR date or dateTime such as 2025-10-01, got '${date}'`, 'date');
    return { fiscalYear: fiscalYearOf(d), dateText: formatServiceDate(d) };
  }
  const today = serviceDate(now)!;
  return { fiscalYear: fiscalYearOf(today), dateText: `today, ${formatServiceDate(today)}` };
}
