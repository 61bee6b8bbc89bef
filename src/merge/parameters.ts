import type { Identifier, Parameters, ParametersParameter, Patient } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';

/** How a request names one of the two patients: a reference, identifiers that must all be on it, or both. */
export interface PatientSelector {
  /** `source` or `target`: the parameters are `<role>-patient` and `<role>-patient-identifier`. */
  role: 'source' | 'target';
  reference?: string;
  identifiers: Identifier[];
}

export interface MergeRequest {
  source: PatientSelector;
  target: PatientSelector;
  /** The target as the caller wants it after the merge (R5 `result-patient`). */
  resultPatient?: Patient;
  preview: boolean;
  /** The Parameters as received, echoed as the `input` output. */
  input: Parameters;
}

export interface UnmergeRequest {
  source: PatientSelector;
  target: PatientSelector;
  /** Resources moved by the merge and changed since stay on the target instead of refusing the unmerge (409). */
  keepChanged: boolean;
  preview: boolean;
  input: Parameters;
}

type Kind = 'reference' | 'identifier' | 'boolean' | 'patient';
const MERGE_PARAMETERS: Record<string, Kind> = {
  'source-patient': 'reference',
  'source-patient-identifier': 'identifier',
  'target-patient': 'reference',
  'target-patient-identifier': 'identifier',
  'result-patient': 'patient',
  preview: 'boolean',
};
const UNMERGE_PARAMETERS: Record<string, Kind> = {
  'source-patient': 'reference',
  'source-patient-identifier': 'identifier',
  'target-patient': 'reference',
  'target-patient-identifier': 'identifier',
  'keep-changed-on-target': 'boolean',
  preview: 'boolean',
};
const REPEATABLE = new Set(['source-patient-identifier', 'target-patient-identifier']);

/**
 * The parameters of a Parameters body, each checked against `known`: a misspelt or repeated parameter of an
 * operation that rewrites two patients' records is an error (400), never ignored.
 */
function readParameters(body: unknown, known: Record<string, Kind>, operation: string): Map<string, ParametersParameter[]> {
  const params = body as Parameters | undefined;
  if (!params || params.resourceType !== 'Parameters') throw badRequest(`${operation} takes a Parameters resource as its body`);
  const byName = new Map<string, ParametersParameter[]>();
  for (const [i, p] of (params.parameter ?? []).entries()) {
    const kind = known[p.name];
    if (!kind) throw badRequest(`${operation} has no parameter "${p.name}" (known: ${Object.keys(known).join(', ')})`, `Parameters.parameter[${i}]`);
    const seen = byName.get(p.name) ?? [];
    if (seen.length && !REPEATABLE.has(p.name)) throw badRequest(`${operation}: "${p.name}" may be given once`, `Parameters.parameter[${i}]`);
    const valid =
      kind === 'reference'
        ? typeof p.valueReference?.reference === 'string'
        : kind === 'identifier'
          ? typeof p.valueIdentifier?.value === 'string'
          : kind === 'boolean'
            ? typeof p.valueBoolean === 'boolean'
            : p.resource?.resourceType === 'Patient';
    if (!valid) throw badRequest(`${operation}: "${p.name}" must be ${KIND_TEXT[kind]}`, `Parameters.parameter[${i}]`);
    byName.set(p.name, [...seen, p]);
  }
  return byName;
}

const KIND_TEXT: Record<Kind, string> = {
  reference: 'a valueReference with a reference',
  identifier: 'a valueIdentifier with a value',
  boolean: 'a valueBoolean',
  patient: 'a Patient resource',
};

function selector(byName: Map<string, ParametersParameter[]>, role: 'source' | 'target', operation: string): PatientSelector {
  const reference = byName.get(`${role}-patient`)?.[0].valueReference?.reference;
  const identifiers = (byName.get(`${role}-patient-identifier`) ?? []).map((p) => p.valueIdentifier as Identifier);
  if (!reference && !identifiers.length) throw badRequest(`${operation} needs ${role}-patient or ${role}-patient-identifier`);
  return { role, reference, identifiers };
}

const flag = (byName: Map<string, ParametersParameter[]>, name: string) => byName.get(name)?.[0].valueBoolean === true;

/** The parameters of `Patient/$merge` (R5 OperationDefinition Patient-merge). */
export function mergeRequest(body: unknown): MergeRequest {
  const byName = readParameters(body, MERGE_PARAMETERS, 'Patient/$merge');
  return {
    source: selector(byName, 'source', 'Patient/$merge'),
    target: selector(byName, 'target', 'Patient/$merge'),
    resultPatient: byName.get('result-patient')?.[0].resource as Patient | undefined,
    preview: flag(byName, 'preview'),
    input: body as Parameters,
  };
}

/** The parameters of `Patient/$unmerge` (defined here). */
export function unmergeRequest(body: unknown): UnmergeRequest {
  const byName = readParameters(body, UNMERGE_PARAMETERS, 'Patient/$unmerge');
  return {
    source: selector(byName, 'source', 'Patient/$unmerge'),
    target: selector(byName, 'target', 'Patient/$unmerge'),
    keepChanged: flag(byName, 'keep-changed-on-target'),
    preview: flag(byName, 'preview'),
    input: body as Parameters,
  };
}
