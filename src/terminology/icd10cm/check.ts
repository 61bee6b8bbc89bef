import { icd10cmFormatProblem } from './code-format';
import type { Icd10CmCodeSystem, Icd10CmLookup } from './code-system';
import { fiscalYearPeriod } from './fiscal-year';

/** Why a coding is not a valid ICD-10-CM code on its date of service; each makes the coding invalid. */
export type Icd10CmProblemKind = 'format' | 'unknown' | 'not-in-force' | 'header' | 'display';

export interface Icd10CmProblem {
  kind: Icd10CmProblemKind;
  message: string;
}

export interface Icd10CmCheck {
  /** Undefined when the code is malformed or no loaded year has it. */
  lookup?: Icd10CmLookup;
  problems: Icd10CmProblem[];
  /** Information, never a reason to refuse: the date is outside the loaded years. */
  notes: string[];
}

export interface Icd10CmCheckOptions {
  /** The fiscal year whose code set applies (from the date of service, or a requested version). */
  fiscalYear: number;
  /**
   * The date of service as messages name it (`2025-10-01`, `the encounter's discharge date 2025-10-01`); absent
   * when the caller named the year itself (a `version`).
   */
  dateText?: string;
  display?: string;
  /** Headers are accepted (R4 $validate-code `abstract=true`: a context where abstract concepts are allowed). */
  abstract?: boolean;
}

/** Displays are compared as a terminology server does: case and runs of white space do not matter. */
const normal = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

const yearName = (fy: number) => {
  const p = fiscalYearPeriod(fy);
  return `FY${fy} (${p.start} to ${p.end})`;
};

/** The loaded years as a range: `FY2024-FY2026`. */
export const loadedYears = (icd: Icd10CmCodeSystem) => `FY${icd.years[0]}-FY${icd.years[icd.years.length - 1]}`;

/**
 * Is `code` (with `display`, when given) valid in the ICD-10-CM code set of the date of service? The one check
 * behind `CodeSystem/$validate-code` and the checks on write: a malformed code (`E119` without its dot), a code
 * no loaded year has, one not in the code set of that year (added later or deleted), a header (unless `abstract`),
 * a display that is neither the long nor the short description of that year.
 */
export function checkIcd10CmCode(icd: Icd10CmCodeSystem, code: string, opts: Icd10CmCheckOptions): Icd10CmCheck {
  const format = icd10cmFormatProblem(code);
  if (format) return { problems: [{ kind: 'format', message: format }], notes: [] };
  const found = icd.lookupInYear(code, opts.fiscalYear);
  if (!found) {
    return { problems: [{ kind: 'unknown', message: `Unknown ICD-10-CM code '${code}': no loaded code set (${loadedYears(icd)}) has it` }], notes: [] };
  }
  const problems: Icd10CmProblem[] = [];
  const notes: string[] = [];
  const year = yearName(found.fiscalYear);
  const on = opts.dateText ? `, in force on ${opts.dateText}` : '';
  if (found.outsideLoadedYears) {
    notes.push(
      `The date of service, ${opts.dateText}, is outside the loaded ICD-10-CM code sets (${loadedYears(icd)}): ${code} was checked against the nearest, ${year}`,
    );
  }
  if (!found.inForce) {
    const years = found.years.map((y) => `FY${y}`).join(', ');
    problems.push({
      kind: 'not-in-force',
      message: `ICD-10-CM code ${code} is not in the code set of ${year}${on}; it is in ${years}`,
    });
  } else if (found.header && !opts.abstract) {
    problems.push({
      kind: 'header',
      message: `ICD-10-CM code ${code} is a header (a category, abstract) in ${year}${on}: not valid for HIPAA-covered transactions, use one of the billable codes below it`,
    });
  }
  if (opts.display !== undefined && normal(opts.display) !== normal(found.display) && normal(opts.display) !== normal(found.shortDisplay)) {
    problems.push({ kind: 'display', message: `Wrong display '${opts.display}' for ICD-10-CM code ${code}: ${year} calls it '${found.display}'` });
  }
  return { lookup: found, problems, notes };
}
