import type { Parameters, ParametersParameter } from 'fhir/r4';
import type { OperationOutcomeIssue } from 'fhir/r4';
import { badRequest, issue, OperationOutcomeError } from '../errors/operation-outcome-error';
import { parseDateRange, parseInstantParameter, type DateRange } from '../fhir/date-time';
import type { FhirRequest } from '../router/types';

/**
 * An operation's input as name/value pairs, whichever way it came: the query of a GET, or the query and the
 * Parameters body of a POST (spec 3.1.0.14.1), each value as it would be written in a URL (a Coding as
 * `system|code`, a Reference as its reference). Parameters with parts or resources are not taken.
 */
export function operationInput(req: FhirRequest, code: string): Array<[string, string]> {
  if (req.method !== 'POST' || req.body === undefined) return req.query;
  const body = req.body as Parameters;
  if (!body || typeof body !== 'object' || body.resourceType !== 'Parameters') {
    throw badRequest(`A POST $${code} body must be a Parameters resource`);
  }
  return [...req.query, ...(body.parameter ?? []).map((p): [string, string] => [String(p.name), valueText(p)])];
}

const SCALARS = [
  'valueString',
  'valueCode',
  'valueId',
  'valueUri',
  'valueUrl',
  'valueCanonical',
  'valueDate',
  'valueDateTime',
  'valueInstant',
  'valueBoolean',
  'valueInteger',
  'valuePositiveInt',
  'valueUnsignedInt',
  'valueDecimal',
] as const;

function valueText(p: ParametersParameter): string {
  for (const key of SCALARS) {
    const v = p[key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  if (p.valueCoding) return `${p.valueCoding.system ?? ''}|${p.valueCoding.code ?? ''}`;
  if (p.valueReference?.reference) return p.valueReference.reference;
  throw badRequest(`Parameter "${p.name}" needs a primitive, Coding or Reference value`, 'Parameters.parameter');
}

/** The values of `name`, comma lists split (a repeated parameter and a comma list mean the same). */
export function listValues(input: ReadonlyArray<[string, string]>, name: string): string[] {
  return input
    .filter(([k]) => k === name)
    .flatMap(([, v]) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** The one value of `name`, or undefined; 400 when given twice. */
export function singleValue(input: ReadonlyArray<[string, string]>, name: string): string | undefined {
  const values = input.filter(([k]) => k === name).map(([, v]) => v);
  if (values.length > 1) throw badRequest(`${name} may be given once`, name);
  return values[0];
}

/** A date or dateTime parameter (`start`, `end`) as the range of instants it covers. */
export function dateValue(input: ReadonlyArray<[string, string]>, name: string): DateRange | undefined {
  const text = singleValue(input, name);
  if (text === undefined) return undefined;
  const range = parseDateRange(text);
  if (!range) throw badRequest(`${name} must be a FHIR date or dateTime such as 2024-01-31, got "${text}"`, name);
  return range;
}

/** An instant parameter (`_since`): a day or a time with its zone. */
export function instantValue(input: ReadonlyArray<[string, string]>, name: string): Date | undefined {
  const text = singleValue(input, name);
  if (text === undefined) return undefined;
  const at = parseInstantParameter(text);
  if (at instanceof Date) return at;
  throw badRequest(`${name} must be a FHIR instant such as 2024-01-31T00:00:00Z, got "${text}" (URL-encode a + as %2B)`, name);
}

/** A boolean parameter (`on-demand`). */
export function booleanValue(input: ReadonlyArray<[string, string]>, name: string): boolean | undefined {
  const text = singleValue(input, name);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false') throw badRequest(`${name} must be true or false, got "${text}"`, name);
  return text === 'true';
}

/** A non-negative integer parameter (`_count`). */
export function countValue(input: ReadonlyArray<[string, string]>, name: string): number | undefined {
  const text = singleValue(input, name);
  if (text === undefined) return undefined;
  if (!/^\d{1,7}$/.test(text)) throw badRequest(`${name} must be a non-negative integer, got "${text}"`, name);
  return Number(text);
}

/** Parameters that change only the answer's form, which no operation reports. */
const SILENT = new Set(['_format', '_pretty']);

/**
 * Warnings for the parameters of `input` that `$code` does not take, for an outcome entry; under `strict`
 * (`Prefer: handling=strict`) the first one is a 400 instead.
 */
export function unknownParameters(input: ReadonlyArray<[string, string]>, known: ReadonlySet<string>, code: string, strict: boolean): OperationOutcomeIssue[] {
  const notes: OperationOutcomeIssue[] = [];
  for (const [name] of input) {
    if (known.has(name) || SILENT.has(name)) continue;
    if (strict) throw new OperationOutcomeError('invalid', [issue('not-supported', `$${code} has no parameter ${name}`, name)]);
    notes.push(issue('not-supported', `Parameter ${name} was ignored: $${code} has no such parameter`, name, 'warning'));
  }
  return notes;
}

/** `start` and `end` (a period of care), each a date or dateTime; 400 when the start is after the end. */
export function periodValue(input: ReadonlyArray<[string, string]>): { start?: DateRange; end?: DateRange } {
  const start = dateValue(input, 'start');
  const end = dateValue(input, 'end');
  if (start && end && start.lo > end.hi) throw badRequest('start is after end', 'start');
  return { start, end };
}
