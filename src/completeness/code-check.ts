/**
 * What a code system the server knows says of a code on a date of service: the shape of the ICD-10-CM lookup
 * (src/terminology/icd10cm, `Icd10CmLookup`), kept as an interface here so the rules do not depend on how a code
 * system is loaded.
 */
export interface CodeLookup {
  display: string;
  /** In the code set in force on the date (billable or header). */
  inForce: boolean;
  /** In force and valid on a claim. */
  billable: boolean;
  /** In force as a category header only (abstract). */
  header: boolean;
  fiscalYear?: number;
  /** The date is outside the loaded years: the answer is a neighbouring year's, so nothing is concluded from it. */
  outsideLoadedYears?: boolean;
}

/** A code system's lookup: undefined when the code is not in any loaded version (or is malformed). */
export type CodeLookupFn = (code: string, date: string | undefined) => CodeLookup | undefined;

/** The code systems whose codes a rule may require billable, by system URL. */
export type BillableCodeSystems = ReadonlyMap<string, CodeLookupFn>;

/**
 * Why `code` of `system` cannot be billed on `date`, or undefined when it can (or when nothing can be concluded: a
 * system with no loaded code set, a date outside the loaded years).
 */
export function billingProblem(systems: BillableCodeSystems, system: string, code: string, date: string | undefined): string | undefined {
  const lookup = systems.get(system);
  if (!lookup) return undefined;
  const name = system === 'http://hl7.org/fhir/sid/icd-10-cm' ? 'ICD-10-CM' : system;
  // The date of service is the calendar date as written (a dateTime's own offset, never converted to UTC).
  const on = date ? ` on ${date.slice(0, 10)}` : '';
  const found = lookup(code, date);
  if (!found) return `${code} is not an ${name} code`;
  if (found.outsideLoadedYears) return undefined;
  const fy = found.fiscalYear ? ` (FY${found.fiscalYear})` : '';
  if (!found.inForce) return `${code} is not in the ${name} code set in force${on}${fy}`;
  if (found.header) return `${code} is a category header in the ${name} code set in force${on}${fy}, not billable`;
  return undefined;
}
