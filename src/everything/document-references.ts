import type { Bundle, Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { badRequest, issue } from '../errors/operation-outcome-error';
import { isValidId } from '../router/paths';
import { booleanValue, listValues, periodValue, singleValue, unknownParameters } from '../operations/parameters';
import { mongoSort, sortKeyDefs } from '../search/paging';
import { allOf } from '../store/policy-filter';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';
import { careDateFilter, type CarePeriod, type QueryCompiler } from './care-dates';
import { recordPage, searchset } from './record-page';

type DocFilter = Filter<StoredDocument>;

/**
 * `DocumentReference/$docref` as US Core 6.1.0 defines it (OperationDefinition `docref`): the patient's
 * DocumentReferences, under the caller's policy.
 *
 * - `start`/`end`: the documents whose care date (care-date-params.json: the context period, else the date) reaches into
 *   the period, paged like `$everything` (the same walk over the patient's compartment); undated ones are left out.
 * - Neither: "the most recent or current document": the `current` document with the latest `date`, of each `type`
 *   asked for; with no `type`, the latest of any type and the latest CCD (LOINC 34133-9, which the operation says
 *   SHALL be in scope when available) if that is another one.
 * - `type` (Codings, `system|code`): documents of any of them. `profile`: documents whose DocumentReference claims
 *   one of them in `meta.profile` (the server cannot look inside documents).
 * - `on-demand=true` asks for on-demand documents only: this server generates none, so the answer is an empty
 *   searchset saying so in an OperationOutcome entry. `on-demand=false` (stable documents) is the default answer.
 * - `patient` names no patient the caller may see: an empty Bundle, as the operation says for no match (so a hidden
 *   patient and a missing one answer alike). Absent, it defaults to the token's patient when it is bound to one.
 * - Documents entered in error are never returned.
 */

const TYPE = 'DocumentReference';
/** LOINC 34133-9, Summary of episode note: the CCD the operation puts in scope when no type is asked for. */
const CCD = 'http://loinc.org|34133-9';
const KNOWN = new Set(['patient', 'start', 'end', 'type', 'on-demand', 'profile', '_cursor']);

export interface DocrefSettings {
  baseUrl: string;
  defaultCount: number;
  strict: boolean;
}

const query = (pairs: Array<[string, string]>) => new URLSearchParams(pairs).toString();

/** The patient asked for: `patient` (an id, or `Patient/id`), else the one patient a bound token has. */
function patientOf(input: ReadonlyArray<[string, string]>, repo: Repository): string {
  const given = singleValue(input, 'patient');
  if (given === undefined) {
    const bound = repo.policy.patientIds;
    if (bound?.length === 1) return bound[0];
    throw badRequest('$docref needs the patient parameter', 'patient');
  }
  const id = given.replace(/^Patient\//, '');
  if (!isValidId(id)) throw badRequest(`patient must be a Patient id, got "${given}"`, 'patient');
  return id;
}

/** The latest `current` document of each group of types (undefined: any type), each once. */
async function mostRecent(repo: Repository, patient: string, groups: Array<string[] | undefined>, base: (types?: string[]) => DocFilter): Promise<StoredDocument[]> {
  const sort = mongoSort(sortKeyDefs([{ code: 'date', desc: true }]), false);
  const found = new Map<string, StoredDocument>();
  for (const types of groups) {
    const filter = allOf<StoredDocument>({ c: `Patient/${patient}` }, base(types));
    for await (const doc of repo.find(TYPE, filter, { sort, limit: 1, projection: { _id: 1, r: 1, c: 1 }, hint: 'compartment' })) found.set(doc._id, doc);
  }
  return [...found.values()];
}

export async function docref(repo: Repository, compile: QueryCompiler, settings: DocrefSettings, input: Array<[string, string]>): Promise<Bundle> {
  repo.assertAllowed(TYPE, 'search');
  const notes = unknownParameters(input, KNOWN, 'docref', settings.strict);
  const patient = patientOf(input, repo);
  const period: CarePeriod = periodValue(input);
  const types = listValues(input, 'type');
  const profiles = listValues(input, 'profile');
  const onDemand = booleanValue(input, 'on-demand');
  const linkQuery = input.filter(([name]) => KNOWN.has(name) && name !== '_cursor');
  const selfLink = { relation: 'self', url: `${settings.baseUrl}/${TYPE}/$docref${linkQuery.length ? `?${query(linkQuery)}` : ''}` };

  if (onDemand) {
    notes.push(
      issue('not-supported', 'This server does not generate documents on demand: it returns stored documents only (on-demand=false)', 'on-demand', 'information'),
    );
    return searchset([selfLink], [], notes);
  }
  const base = (only: string[] = types) =>
    allOf<StoredDocument>(
      compile(TYPE, query([['status:not', 'entered-in-error']])),
      only.length ? compile(TYPE, query([['type', only.join(',')]])) : {},
      profiles.length ? compile(TYPE, query([['_profile', profiles.join(',')]])) : {},
    );

  if (!period.start && !period.end) {
    const current = (only?: string[]) => allOf<StoredDocument>(base(only), compile(TYPE, query([['status', 'current']])));
    const groups = types.length ? types.map((t) => [t]) : [undefined, [CCD]];
    const docs = await mostRecent(repo, patient, groups, current);
    const entry = docs.map((doc) => ({ fullUrl: `${settings.baseUrl}/${TYPE}/${doc._id}`, resource: JSON.parse(doc.r) as Resource, search: { mode: 'match' as const } }));
    return searchset([selfLink], entry, notes);
  }
  const dated = careDateFilter(compile, TYPE, period, 'exclude');
  return recordPage(repo, {
    plan: { patient, types: [TYPE], emits: () => true, filter: () => allOf<StoredDocument>(base(), dated ?? {}) },
    count: settings.defaultCount,
    cursor: singleValue(input, '_cursor'),
    emitsReferenced: () => false,
    baseUrl: settings.baseUrl,
    path: `${TYPE}/$docref`,
    linkQuery,
    notes,
  });
}
