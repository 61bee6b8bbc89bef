import type { OperationOutcome, OperationOutcomeIssue, Resource } from 'fhir/r4';
import { criteriaLockKey, lockForWrite } from '../../store/write-locks';
import { badRequest, outcome, preconditionFailed } from '../../errors/operation-outcome-error';
import type { RouterContext } from '../context';
import { resourceBody } from '../body';
import { relativizeReferences } from '../../fhir/references';
import { locationHeader, writeResult } from '../respond';
import type { FhirRequest, FhirResult } from '../types';

/** Parses an `If-None-Exist` / conditional URL query (`identifier=a|b&active=true`) into ordered pairs. */
export function conditionQuery(text: string, header: string): Array<[string, string]> {
  const q = text.startsWith('?') ? text.slice(1) : text;
  if (!q.trim()) throw badRequest(`${header} must carry search parameters`);
  return [...new URLSearchParams(q)];
}

/** create: POST [type], with conditional create via If-None-Exist (spec 3.1.0.8, 3.1.0.8.1) */
export async function create(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResult> {
  const resource = resourceBody(req, type);
  const ifNoneExist = req.headers['if-none-exist'];
  if (ifNoneExist === undefined) return createResource(ctx, req, type, resource);
  const criteria = conditionQuery(ifNoneExist, 'If-None-Exist');
  // Search and create in one transaction that locks the criteria: of concurrent conditional creates with the same
  // criteria one creates, and the others run again after it and find what it created (src/store/write-locks.ts).
  return ctx.repo.inTransaction(async (repo) => {
    await lockForWrite(repo, criteriaLockKey(type, criteria));
    const tx = ctx.withRepo(repo);
    const ids = await tx.search.findMatchingIds(repo, type, criteria, 2);
    if (ids.length > 1) throw preconditionFailed(`If-None-Exist matched ${ids.length} ${type} resources`);
    if (ids.length === 1) {
      // The existing resource answers like a write would (Location, Prefer), with 200 instead of 201.
      const existing = await repo.read(type, ids[0]);
      return writeResult(req, 200, existing, { Location: locationHeader(ctx.baseUrl, type, existing, ids[0]) }, `${type}/${ids[0]} already matches If-None-Exist`);
    }
    return createResource(tx, req, type, structuredClone(resource));
  });
}

async function createResource(ctx: RouterContext, req: FhirRequest, type: string, resource: Resource): Promise<FhirResult> {
  relativizeReferences(resource, ctx.baseUrl);
  const warnings = await ctx.validation.assertValid(resource, ctx.repo, 'create');
  const { doc } = await ctx.repo.create(type, resource, req.assignedId);
  const result = writeResult(req, 201, doc, { Location: locationHeader(ctx.baseUrl, type, doc, doc._id) }, `Created ${type}/${doc._id}`);
  return withWarnings(result, warnings);
}

/** Warnings from validation ride along when the client asked for an OperationOutcome. */
export function withWarnings(result: FhirResult, warnings: OperationOutcomeIssue[]): FhirResult {
  const body = result.body;
  if (!warnings.length || !body || !('resourceType' in body) || body.resourceType !== 'OperationOutcome') return result;
  return { ...result, body: outcome([...(body as OperationOutcome).issue, ...warnings]) };
}
