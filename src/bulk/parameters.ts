import type { Parameters, ParametersParameter } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import { parseInstantParameter } from '../fhir/date-time';
import { parseElements } from '../router/subsetting';
import type { FhirRequest } from '../router/types';

export type ExportLevel = 'system' | 'patient' | 'group';

/** The kick-off parameters of Bulk Data Access 2.0, validated; what the job needs, nothing of HTTP. */
export interface ExportParameters {
  outputFormat: 'application/fhir+ndjson';
  since?: Date;
  until?: Date;
  /** Requested types, in the order given, without repeats; undefined = every type the client may read. */
  types?: string[];
  elements?: string[];
  /** Per type, search queries OR-ed together (`_typeFilter`). */
  typeFilters: Map<string, Array<Array<[string, string]>>>;
  /** Patient ids from the `patient` parameter (POST, Patient and Group level). */
  patients?: string[];
  /** Problems ignored under `Prefer: handling=lenient`, reported in the manifest's error file. */
  warnings: string[];
}

const OUTPUT_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);
const KNOWN = new Set(['_outputFormat', '_since', '_until', '_type', '_elements', '_typeFilter', 'patient', 'includeAssociatedData']);
/**
 * A system-level export includes every Provenance (unless `_type` leaves it out), which is what this value asks
 * for. At Patient/Group level only Provenance in the compartment (targeting the patient) is exported, so there
 * it is not supported.
 */
const SYSTEM_ASSOCIATED_DATA = new Set(['RelevantProvenanceResources']);
/** Search result parameters cannot filter an export (IG: "_include and _sort SHALL NOT be used"). */
const RESULT_PARAMETERS = new Set(['_include', '_revinclude', '_sort', '_count', '_elements', '_summary', '_total', '_contained', '_containedType']);
const TYPE_NAME = /^[A-Z][A-Za-z]{1,63}$/;
const PATIENT_REF = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/;

/** GET query pairs, or the POST Parameters body turned into the same pairs (references become their text). */
export function rawParameters(req: FhirRequest): Array<[string, string]> {
  if (req.method !== 'POST' || req.body === undefined) return req.query;
  const body = req.body as Parameters;
  if (!body || typeof body !== 'object' || body.resourceType !== 'Parameters') {
    throw badRequest('A POST $export body must be a Parameters resource');
  }
  const out: Array<[string, string]> = [...req.query];
  for (const p of body.parameter ?? []) out.push([String(p.name), parameterValue(p)]);
  return out;
}

function parameterValue(p: ParametersParameter): string {
  if (p.valueReference?.reference) return p.valueReference.reference;
  for (const key of ['valueString', 'valueCode', 'valueInstant', 'valueDateTime', 'valueDate', 'valueUri', 'valueCanonical'] as const) {
    const v = p[key];
    if (typeof v === 'string') return v;
  }
  throw badRequest(`Parameter "${p.name}" needs a string, code, instant or Reference value`, `Parameters.parameter`);
}

/**
 * `_since`/`_until`: a day or a time of day, its zone optional (none reads as UTC: the IG calls the value an instant,
 * yet clients send a bare date or dateTime as often). A space where the zone's sign belongs is a `+` the client did
 * not URL-encode (a query decodes `+` as a space): the 400 says so, as nothing else would tell the client why.
 */
function instant(name: string, value: string): Date {
  const at = parseInstantParameter(value, { zoneless: 'utc' });
  if (at instanceof Date) return at;
  const plus = value.replace(/ (?=\d{2}:\d{2}$)/, '+');
  if (plus !== value && parseInstantParameter(plus) instanceof Date) {
    throw badRequest(`${name} "${value}" has a space where the + of its time zone belongs: URL-encode the + as %2B`, name);
  }
  throw badRequest(`${name} must be a FHIR instant such as 2024-01-31T00:00:00Z, got "${value}"`, name);
}

/** Comma lists may also be repeated (IG: "treat the values as if they were comma delimited"). */
function list(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * `_typeFilter` values are `Type?query`, comma separated; a query may itself hold commas (search OR), so only a
 * comma that starts another `Type?` separates two filters.
 */
function typeFilterQueries(values: string[]): Array<{ type: string; query: Array<[string, string]> }> {
  const out: Array<{ type: string; query: Array<[string, string]> }> = [];
  for (const item of values.flatMap((v) => v.split(/,(?=[A-Z][A-Za-z]*\?)/))) {
    const at = item.indexOf('?');
    const type = at < 0 ? item : item.slice(0, at);
    if (!TYPE_NAME.test(type) || at < 0 || at === item.length - 1) {
      throw badRequest(`_typeFilter "${item}" must be a search query such as MedicationRequest?status=active`, '_typeFilter');
    }
    const query = [...new URLSearchParams(item.slice(at + 1))];
    for (const [name] of query) {
      if (RESULT_PARAMETERS.has(name)) throw badRequest(`_typeFilter cannot use ${name}`, '_typeFilter');
    }
    out.push({ type, query });
  }
  return out;
}

/**
 * Parses and validates kick-off parameters. Malformed values are always 400; parameters this server does not
 * support are 400 unless `lenient`, in which case they are ignored and listed in `warnings`.
 */
export function parseExportParameters(pairs: Array<[string, string]>, opts: { level: ExportLevel; method: string; lenient: boolean }): ExportParameters {
  const warnings: string[] = [];
  const unsupported = (message: string, expression: string) => {
    if (!opts.lenient) throw badRequest(message, expression);
    warnings.push(message);
  };
  const all = (name: string) => pairs.filter(([k]) => k === name).map(([, v]) => v);
  const single = (name: string): string | undefined => {
    const values = all(name);
    if (values.length > 1) throw badRequest(`${name} may be given once`, name);
    return values[0];
  };
  for (const [name] of pairs) {
    if (!KNOWN.has(name)) unsupported(`The parameter "${name}" is not supported by $export`, name);
  }

  const format = single('_outputFormat');
  if (format !== undefined && !OUTPUT_FORMATS.has(format)) {
    throw badRequest(`_outputFormat "${format}" is not supported; use application/fhir+ndjson`, '_outputFormat');
  }
  const sinceRaw = single('_since');
  const untilRaw = single('_until');
  const since = sinceRaw === undefined ? undefined : instant('_since', sinceRaw);
  const until = untilRaw === undefined ? undefined : instant('_until', untilRaw);
  if (since && since > new Date()) throw badRequest(`_since ${sinceRaw} is in the future: nothing can have changed since then`, '_since');
  if (since && until && until <= since) throw badRequest('_until must be later than _since', '_until');

  const typeValues = all('_type');
  const types = typeValues.length ? [...new Set(list(typeValues))] : undefined;
  for (const t of types ?? []) if (!TYPE_NAME.test(t)) throw badRequest(`_type "${t}" is not a resource type name`, '_type');

  const elementValues = all('_elements');
  const elements = elementValues.length ? parseElements(list(elementValues).join(',')) : undefined;

  const typeFilters = new Map<string, Array<Array<[string, string]>>>();
  for (const { type, query } of typeFilterQueries(all('_typeFilter'))) {
    if (types && !types.includes(type)) {
      throw badRequest(`_typeFilter names ${type}, which _type does not include`, '_typeFilter');
    }
    typeFilters.set(type, [...(typeFilters.get(type) ?? []), query]);
  }

  const patientValues = all('patient');
  let patients: string[] | undefined;
  if (patientValues.length) {
    if (opts.level === 'system') unsupported('patient applies to Patient and Group level export only', 'patient');
    else if (opts.method !== 'POST') unsupported('patient is accepted in a POST Parameters body only', 'patient');
    else {
      patients = [
        ...new Set(
          list(patientValues).map((ref) => {
            const m = PATIENT_REF.exec(ref);
            if (!m) throw badRequest(`patient "${ref}" must be a reference to a Patient`, 'patient');
            return m[1];
          }),
        ),
      ];
    }
  }

  for (const value of list(all('includeAssociatedData'))) {
    if (opts.level !== 'system' || !SYSTEM_ASSOCIATED_DATA.has(value)) {
      unsupported(`includeAssociatedData=${value} is not supported at ${opts.level} level`, 'includeAssociatedData');
    }
  }
  return { outputFormat: 'application/fhir+ndjson', since, until, types, elements, typeFilters, patients, warnings };
}
