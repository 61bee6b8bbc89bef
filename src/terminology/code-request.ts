import type { Coding, Parameters, ParametersParameter } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import type { FhirRequest } from '../router/types';
import { isJsonObject } from '../fhir/json';

/**
 * The input of `CodeSystem/$lookup` and `CodeSystem/$validate-code` (R4 CodeSystem-lookup, CodeSystem-validate-code),
 * from the query (GET) or a Parameters body (POST), checked: one of `code` (with its system), `coding` or
 * `codeableConcept`; each parameter at most once. The system is `system` ($lookup) or `url` ($validate-code); each
 * operation takes the other's name too, as clients mix them up.
 */
export interface CodeRequest {
  /**
   * The codes to look up or validate, each with the system it names (a `code` gets `system`/`url`) and the display
   * to check (a `display` parameter, else the coding's own).
   */
  codings: Coding[];
  version?: string;
  date?: string;
  abstract?: boolean;
  /** `property` ($lookup): the properties the caller wants; empty: the server's choice. */
  properties: string[];
}

type Op = 'lookup' | 'validate-code';

/** Every parameter either operation defines in R4, with the value types a Parameters body may give it. */
const KINDS: Record<string, 'string' | 'boolean' | 'Coding' | 'CodeableConcept' | 'ignored'> = {
  code: 'string',
  system: 'string',
  url: 'string',
  version: 'string',
  display: 'string',
  date: 'string',
  abstract: 'boolean',
  property: 'string',
  coding: 'Coding',
  codeableConcept: 'CodeableConcept',
  // Display languages other than the code system's own (English) are not offered: ignored, as R4 allows.
  displayLanguage: 'ignored',
};

const ONLY: Record<string, Op> = { abstract: 'validate-code', property: 'lookup', codeableConcept: 'validate-code' };

function stringValue(p: ParametersParameter): string | undefined {
  for (const key of ['valueCode', 'valueUri', 'valueString', 'valueDateTime', 'valueDate', 'valueCanonical', 'valueUrl'] as const) {
    const v = p[key];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** The parameters as [name, value] pairs: query strings, or a Parameters body's values. */
function pairs(req: FhirRequest, op: Op): Array<[string, unknown]> {
  if (req.method !== 'POST') return req.query;
  const body = req.body as Parameters | undefined;
  if (!isJsonObject(body) || body.resourceType !== 'Parameters') throw badRequest(`A POST $${op} body must be a Parameters resource`);
  const out: Array<[string, unknown]> = [...req.query];
  for (const p of body.parameter ?? []) {
    const kind = KINDS[p.name];
    let value: unknown;
    if (kind === 'boolean') value = p.valueBoolean;
    else if (kind === 'Coding') value = p.valueCoding;
    else if (kind === 'CodeableConcept') value = p.valueCodeableConcept;
    else value = stringValue(p);
    if (kind && kind !== 'ignored' && value === undefined) throw badRequest(`$${op} parameter '${p.name}' has no value of the type it takes`, 'Parameters.parameter');
    out.push([p.name, value]);
  }
  return out;
}

function booleanOf(name: string, value: unknown): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw badRequest(`${name} must be true or false, got '${String(value)}'`, name);
}

/** Reads and checks the request of `$lookup` or `$validate-code`. */
export function readCodeRequest(req: FhirRequest, op: Op): CodeRequest {
  const single = new Map<string, unknown>();
  const properties: string[] = [];
  for (const [name, value] of pairs(req, op)) {
    const kind = KINDS[name];
    if (!kind || (ONLY[name] && ONLY[name] !== op)) throw badRequest(`Unknown $${op} parameter '${name}'`, name);
    if (kind === 'ignored') continue;
    if (name === 'property') properties.push(String(value));
    else if (single.has(name)) throw badRequest(`$${op} takes one '${name}'`, name);
    else single.set(name, value);
  }
  const system = (single.get(op === 'lookup' ? 'system' : 'url') ?? single.get(op === 'lookup' ? 'url' : 'system')) as string | undefined;
  if (single.has('system') && single.has('url') && single.get('system') !== single.get('url')) {
    throw badRequest(`$${op} was given two different systems: system '${single.get('system')}' and url '${single.get('url')}'`);
  }
  const code = single.get('code') as string | undefined;
  const coding = single.get('coding') as Coding | undefined;
  const concept = single.get('codeableConcept') as { coding?: Coding[] } | undefined;
  const given = [code, coding, concept].filter((x) => x !== undefined).length;
  const choices = op === 'lookup' ? 'code (with system) or coding' : 'code (with url), coding or codeableConcept';
  if (given !== 1) throw badRequest(`$${op} needs exactly one of ${choices}`);
  let codings: Coding[];
  if (code !== undefined) {
    if (!system) throw badRequest(`$${op} needs the system of the code: ${op === 'lookup' ? 'system' : 'url'}`, op === 'lookup' ? 'system' : 'url');
    codings = [{ system, code, display: single.get('display') as string | undefined }];
  } else {
    codings = coding ? [coding] : (concept?.coding ?? []);
    if (!codings.every((c) => isJsonObject(c) && typeof c.code === 'string')) throw badRequest(`$${op}: every coding needs a code`);
    if (codings.length === 0) throw badRequest(`$${op}: the codeableConcept has no coding`);
    if (system) {
      const other = codings.find((c) => c.system !== system);
      if (coding && other) throw badRequest(`$${op}: the coding's system '${other.system}' is not the system asked for, '${system}'`);
      if (!coding) codings = codings.map((c) => (c.system === undefined ? { ...c, system } : c));
    }
  }
  if (coding && single.has('display')) codings = [{ ...coding, display: single.get('display') as string }];
  return {
    codings,
    version: (single.get('version') as string | undefined) ?? coding?.version,
    date: single.get('date') as string | undefined,
    abstract: single.has('abstract') ? booleanOf('abstract', single.get('abstract')) : undefined,
    properties,
  };
}
