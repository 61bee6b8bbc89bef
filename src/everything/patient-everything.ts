import type { OperationOutcomeIssue } from 'fhir/r4';
import { badRequest, issue } from '../errors/operation-outcome-error';
import { belongsToPatients } from '../fhir/patient-access';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import { countValue, instantValue, listValues, periodValue, singleValue, unknownParameters } from '../operations/parameters';
import { allOf } from '../store/policy-filter';
import type { StoredDocument } from '../store/stored-document';
import type { Filter } from 'mongodb';
import { careDateFilter, sinceFilter, type QueryCompiler } from './care-dates';
import { isReferable } from './referenced';
import type { RecordPageRequest } from './record-page';
import { walkOrder } from './record-walk';

/**
 * `Patient/[id]/$everything` and `Patient/$everything` (R4 OperationDefinition Patient-everything): the parameters
 * read into a walk of the patient's record (src/everything/record-walk.ts) and what each page returns.
 *
 * - The record: every resource of a type that belongs to patients (the Patient CompartmentDefinition's and the
 *   linked types, src/fhir/patient-access.ts) whose stored compartments name the patient, the Patient first.
 *   AuditEvents are the record of access, not of care: they are walked only when `_type` names AuditEvent (as a
 *   system-level search leaves them out unless `_type` names them).
 * - `start`/`end`: each resource's care date (care-date-params.json) must reach into the period; resources without one
 *   (the Patient, a Coverage, an undated Observation) are included, as the operation allows.
 * - `_since`: changed at or after that instant (also the referenced resources).
 * - `_type`: only these types are returned. When it names a type that belongs to no patient (Practitioner), the
 *   whole record is still walked, to find what references it; such pages may hold fewer entries than `_count`.
 * - `_count`: walked resources per page (the referenced ones come on top, as `_include`d ones do in a search).
 */

export interface EverythingSettings {
  baseUrl: string;
  /** Types with stored data on this server. */
  servedTypes: readonly string[];
  /** May the caller search `type`? Types it may not are not walked (the repository would find nothing). */
  maySearch(type: string): boolean;
  defaultCount: number;
  maxCount: number;
  /** `Prefer: handling=strict`: an unknown parameter is a 400 rather than a warning. */
  strict: boolean;
}

const KNOWN = new Set(['start', 'end', '_since', '_type', '_count', '_cursor']);

function requestedTypes(input: ReadonlyArray<[string, string]>): Set<string> | undefined {
  const types = listValues(input, '_type');
  const bad = types.find((t) => !R4_RESOURCE_TYPES.has(t));
  if (bad !== undefined) throw badRequest(`_type has an unknown resource type "${bad}"`, '_type');
  return types.length ? new Set(types) : undefined;
}

/** The types walked: those `_type` returns that belong to patients, or every such type when a shared one is asked for. */
function walkedTypes(settings: EverythingSettings, requested: Set<string> | undefined): string[] {
  const own = settings.servedTypes.filter((t) => belongsToPatients(t) && settings.maySearch(t));
  const wantsReferenced = requested && [...requested].some((t) => !belongsToPatients(t) && isReferable(t));
  const walked = own.filter((t) => (requested && !wantsReferenced ? requested.has(t) : t !== 'AuditEvent' || requested?.has(t)));
  return walked.sort((a, b) => (walkOrder(a) < walkOrder(b) ? -1 : 1));
}

/** A filter computed once per type and request (compiling parses the query). */
function perType(make: (type: string) => Filter<StoredDocument> | undefined): (type: string) => Filter<StoredDocument> | undefined {
  const memo = new Map<string, Filter<StoredDocument> | undefined>();
  return (type) => {
    if (!memo.has(type)) memo.set(type, make(type));
    return memo.get(type);
  };
}

function pageSize(input: ReadonlyArray<[string, string]>, settings: EverythingSettings, notes: OperationOutcomeIssue[]): number {
  const asked = countValue(input, '_count');
  if (asked === 0) throw badRequest('_count must be at least 1', '_count');
  if (asked !== undefined && asked > settings.maxCount) {
    notes.push(issue('informational', `_count was reduced to the server maximum of ${settings.maxCount}`, '_count', 'information'));
    return settings.maxCount;
  }
  return asked ?? settings.defaultCount;
}

/** The page request for the parameters `input` (GET query or POST Parameters) on `patient` (undefined: type level). */
export function everythingRequest(compile: QueryCompiler, settings: EverythingSettings, input: Array<[string, string]>, patient: string | undefined): RecordPageRequest {
  const notes = unknownParameters(input, KNOWN, 'everything', settings.strict);
  const period = periodValue(input);
  const since = instantValue(input, '_since');
  const requested = requestedTypes(input);
  const count = pageSize(input, settings, notes);
  const returns = (type: string) => !requested || requested.has(type);
  const linkQuery = input.filter(([name]) => KNOWN.has(name) && name !== '_cursor' && name !== '_count');
  return {
    plan: {
      patient,
      types: walkedTypes(settings, requested),
      emits: returns,
      filter: perType((type) => {
        const parts = [careDateFilter(compile, type, period, 'include'), sinceFilter(compile, type, since)].filter((f) => f !== undefined);
        return parts.length ? allOf(...parts) : undefined;
      }),
    },
    count,
    cursor: singleValue(input, '_cursor'),
    emitsReferenced: returns,
    baseUrl: settings.baseUrl,
    path: patient === undefined ? 'Patient/$everything' : `Patient/${patient}/$everything`,
    linkQuery: [...linkQuery, ['_count', String(count)]],
    notes,
  };
}
