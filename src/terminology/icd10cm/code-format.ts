/**
 * How ICD-10-CM codes are written in FHIR: with the dot after the category (`E11.9`, `S72.001A`; a three-character
 * category such as `I10` has none), upper case. The order files write them without the dot (`E119`).
 */

const DOTTED = /^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/;
const UNDOTTED = /^[A-Z][0-9][0-9A-Z][0-9A-Z]{1,4}$/;

/** `E119` -> `E11.9`; a three-character category is unchanged. */
export const dotted = (bare: string) => (bare.length > 3 ? `${bare.slice(0, 3)}.${bare.slice(3)}` : bare);

/**
 * Why `code` is not written as an ICD-10-CM code, or undefined when it is. A code written without its dot is told
 * how to write it (`E119` -> "write it as E11.9").
 */
export function icd10cmFormatProblem(code: string): string | undefined {
  if (DOTTED.test(code)) return undefined;
  const upper = code.toUpperCase();
  if (UNDOTTED.test(upper)) return `ICD-10-CM code '${code}' is written without its dot: write it as ${dotted(upper)}`;
  if (upper !== code && DOTTED.test(upper)) return `ICD-10-CM code '${code}' must be upper case: ${upper}`;
  return `'${code}' is not an ICD-10-CM code: a letter, two characters, then optionally a dot and 1 to 4 more (E11.9, S72.001A)`;
}
