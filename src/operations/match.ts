import type { Bundle, BundleEntry, Parameters, Patient } from 'fhir/r4';
import { badRequest, unprocessable } from '../errors/operation-outcome-error';
import { isJsonObject } from '../fhir/json';
import type { Matcher } from '../matching';
import { findCandidates, recordReturned } from '../matching/candidates';
import type { FhirRequest } from '../router/types';
import { parameter, type Operation } from './operation';

export const MATCH_GRADE_URL = 'http://hl7.org/fhir/StructureDefinition/match-grade';
const DEFAULT_COUNT = 10;
const MAX_COUNT = 100;

interface MatchInput {
  patient: Patient;
  onlyCertainMatches: boolean;
  count: number;
}

/** The parameters of a `$match` request: a Parameters body (or, leniently, the Patient itself), else 400. */
function matchInput(req: FhirRequest): MatchInput {
  const body = req.body;
  if (!isJsonObject(body)) throw badRequest('Patient/$match takes a Parameters body with a "resource" Patient (POST)');
  const params = body.resourceType === 'Parameters' ? ((body as unknown as Parameters).parameter ?? []) : [{ name: 'resource', resource: body as unknown as Patient }];
  const known = new Set(['resource', 'onlyCertainMatches', 'count']);
  const unknown = params.find((p) => !known.has(p.name));
  if (unknown) throw badRequest(`Patient/$match has no parameter "${unknown.name}" (resource, onlyCertainMatches, count)`, 'Parameters.parameter');
  const one = (name: string) => {
    const found = params.filter((p) => p.name === name);
    if (found.length > 1) throw badRequest(`Patient/$match takes one "${name}"`, 'Parameters.parameter');
    return found[0];
  };
  const resource = one('resource')?.resource;
  if (resource?.resourceType !== 'Patient') throw badRequest('Patient/$match needs a "resource" parameter holding a Patient', 'Parameters.parameter');
  const certain = one('onlyCertainMatches');
  if (certain && typeof certain.valueBoolean !== 'boolean') throw badRequest('onlyCertainMatches must be a valueBoolean', 'Parameters.parameter');
  const count = one('count');
  if (count && !(Number.isInteger(count.valueInteger) && (count.valueInteger as number) > 0))
    throw badRequest('count must be a positive valueInteger', 'Parameters.parameter');
  return {
    patient: resource as Patient,
    onlyCertainMatches: certain?.valueBoolean ?? false,
    count: Math.min(count?.valueInteger ?? DEFAULT_COUNT, MAX_COUNT),
  };
}

/**
 * `POST [base]/Patient/$match` (R4 Patient-match): the stored Patients the caller may read that the matcher
 * (src/matching/) finds to be the same person as the one given, best first, as a searchset Bundle whose entries
 * carry `search.mode = match`, `search.score` and the match-grade extension. `certainly-not` candidates are left
 * out; `onlyCertainMatches` keeps only `certain` ones; `count` (default 10, at most 100) bounds the entries.
 */
export const match = (matcher: Matcher): Operation => ({
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Patient-match',
    url: 'http://hl7.org/fhir/OperationDefinition/Patient-match',
    name: 'Match',
    status: 'active',
    kind: 'operation',
    code: 'match',
    resource: ['Patient'],
    system: false,
    type: true,
    instance: false,
    affectsState: false,
    parameter: [
      parameter('in', 'resource', 'Resource', { min: 1, documentation: 'The Patient to find the stored records of' }),
      parameter('in', 'onlyCertainMatches', 'boolean', { documentation: 'Only matches graded certain' }),
      parameter('in', 'count', 'integer', { documentation: `At most this many matches (default ${DEFAULT_COUNT}, at most ${MAX_COUNT})` }),
      parameter('out', 'return', 'Bundle', { min: 1, documentation: 'Matches best first, with search.score and the match-grade extension' }),
    ],
  },
  handler: async (ctx, req) => {
    ctx.repo.assertAllowed('Patient', 'search');
    const input = matchInput(req);
    const features = matcher.features(input.patient);
    if (!matcher.keys(features).length) {
      throw unprocessable('The Patient carries nothing to match on: give a name with a birth date, an identifier, a phone number or an email', 'Parameters.parameter');
    }
    const candidates = (await findCandidates(ctx.repo, matcher, features))
      .filter((c) => (input.onlyCertainMatches ? c.comparison.grade === 'certain' : c.comparison.grade !== 'certainly-not'))
      .slice(0, input.count);
    recordReturned(ctx.repo, candidates);
    const entry: BundleEntry[] = candidates.map((c) => ({
      fullUrl: `${ctx.baseUrl}/Patient/${c.id}`,
      resource: c.resource,
      search: { mode: 'match', score: c.comparison.score, extension: [{ url: MATCH_GRADE_URL, valueCode: c.comparison.grade }] },
    }));
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      meta: { lastUpdated: new Date().toISOString() },
      total: entry.length,
      link: [{ relation: 'self', url: `${ctx.baseUrl}/Patient/$match` }],
      entry,
    };
    return { status: 200, body: bundle };
  },
});
