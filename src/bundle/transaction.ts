import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { OperationOutcomeError, badRequest, preconditionFailed } from '../errors/operation-outcome-error';
import type { RouterContext } from '../router/context';
import type { FhirRequest, FhirResult } from '../router/types';
import { isTypeName } from '../router/paths';
import { criteriaLockKey, lockForWrite } from '../store/write-locks';
import { entryRequest, responseEntry, showsResource } from './entry-request';
import { checkEntryShapes } from './entry-shape';
import { IdentityClaims, conditionalTarget, criteriaIdentity, instanceTarget } from './identities';
import { collectReferences, rewriteReferences } from '../fhir/references';
import { resolveConditionalReferences } from './conditional-references';

/** Spec 3.1.0.11.2 processing order: DELETE, POST, PUT/PATCH, then GET/HEAD. */
const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/** Re-raises an entry's error as the transaction's, naming the entry so the client can find it. */
function entryError(err: unknown, index: number): unknown {
  if (!(err instanceof OperationOutcomeError)) return err;
  const issues = err.issues.map((i) => ({
    ...i,
    diagnostics: `Bundle.entry[${index}]: ${i.diagnostics ?? i.code}`,
    expression: [`Bundle.entry[${index}]`, ...(i.expression ?? [])],
  }));
  return new OperationOutcomeError(err.category, issues, err.facts);
}

function isPlaceholder(ref: string): boolean {
  return ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:');
}

interface Prepared {
  index: number;
  req: FhirRequest;
}

/**
 * Builds the entry requests for one attempt: assigns ids to created resources, resolves conditional creates and
 * conditional references against the transaction's own view, and rewrites every placeholder reference. Runs
 * inside the MongoDB transaction, on copies, so a driver retry starts from scratch.
 */
async function prepare(ctx: RouterContext, outer: FhirRequest, entries: BundleEntry[], claims: IdentityClaims): Promise<Prepared[]> {
  const prepared = entries.map((e, index) => {
    const copy = e.resource ? { ...e, resource: structuredClone(e.resource) } : e;
    return { index, entry: copy, req: entryRequest(copy, index, outer, ctx.baseUrl) };
  });
  const ids = new Map<string, string>();
  const seen = new Set<string>();
  for (const { index, entry, req } of prepared) {
    const matches = await claimTargets(ctx, req, index, claims);
    const fullUrl = entry.fullUrl;
    if (!fullUrl || !entry.resource) continue;
    if (seen.has(fullUrl)) throw badRequest(`Bundle.entry[${index}] repeats fullUrl ${fullUrl}`, `Bundle.entry[${index}].fullUrl`);
    seen.add(fullUrl);
    const type = entry.resource.resourceType;
    if (req.method === 'POST') {
      const ifNoneExist = req.headers['if-none-exist'];
      delete req.headers['if-none-exist'];
      if (ifNoneExist) {
        const q = [...new URLSearchParams(ifNoneExist.replace(/^\?/, ''))];
        await lockForWrite(ctx.repo, criteriaLockKey(type, q));
        const found = await ctx.search.findMatchingIds(ctx.repo, type, q, 2);
        if (found.length > 1) throw entryError(preconditionFailed(`If-None-Exist matched ${found.length} ${type} resources`), index);
        if (found.length === 1) {
          // Conditional create that matched: the entry becomes a read of the match (200, spec 3.1.0.8.1).
          Object.assign(req, { method: 'GET', path: `${type}/${found[0]}`, query: [], body: undefined });
          ids.set(fullUrl, `${type}/${found[0]}`);
          continue;
        }
      }
      req.assignedId = randomUUID();
      ids.set(fullUrl, `${type}/${req.assignedId}`);
    } else if (req.method === 'PUT' && req.path.split('/').length === 2) {
      ids.set(fullUrl, req.path);
    } else if (req.method === 'PUT' && req.query.length) {
      const found = matches ?? (await ctx.search.findMatchingIds(ctx.repo, type, req.query, 2));
      if (found.length === 1) ids.set(fullUrl, `${type}/${found[0]}`);
      else if (found.length === 0) {
        const id = entry.resource.id ?? randomUUID();
        (req.body as Resource).id = id;
        ids.set(fullUrl, `${type}/${id}`);
      }
    }
    if (fullUrl.startsWith(`${ctx.baseUrl}/`) && !ids.has(fullUrl)) ids.set(fullUrl, fullUrl.slice(ctx.baseUrl.length + 1));
  }
  // Conditional references resolve to exactly one resource; none or several is an error.
  for (const { index, entry } of prepared) {
    if (!entry.resource) continue;
    try {
      await resolveConditionalReferences(ctx, entry.resource, ids);
    } catch (err) {
      throw entryError(err, index);
    }
  }
  for (const { index, entry, req } of prepared) {
    if (!entry.resource || req.body === undefined) continue;
    rewriteReferences(req.body as Resource, ids);
    const dangling = collectReferences(req.body as Resource).find(isPlaceholder);
    if (dangling) throw entryError(badRequest(`Reference ${dangling} does not match any fullUrl in the bundle`), index);
  }
  return prepared.map(({ index, req }) => ({ index, req }));
}

/**
 * Claims what a DELETE/PUT/PATCH entry acts on before any entry runs: its `Type/id`, or for a conditional update
 * or delete its criteria and the resource they match now (or the id a conditional update would create). Returns
 * the matches of a conditional entry.
 */
async function claimTargets(ctx: RouterContext, req: FhirRequest, index: number, claims: IdentityClaims): Promise<string[] | undefined> {
  const instance = instanceTarget(req);
  if (instance) claims.claim(instance, index);
  const type = conditionalTarget(req);
  if (!type || !isTypeName(type) || !ctx.isServedType(type)) return undefined;
  claims.claim(criteriaIdentity(type, req.query), index);
  const found = await matchesOf(ctx, req, type, index);
  const newId = (req.body as Partial<Resource> | undefined)?.id;
  if (found.length === 1) claims.claim(`${type}/${found[0]}`, index);
  else if (found.length === 0 && req.method === 'PUT' && typeof newId === 'string') claims.claim(`${type}/${newId}`, index);
  return found;
}

async function matchesOf(ctx: RouterContext, req: FhirRequest, type: string, index: number): Promise<string[]> {
  try {
    return await ctx.search.findMatchingIds(ctx.repo, type, req.query, 2);
  } catch (err) {
    throw entryError(err, index);
  }
}

/** Types the transaction may write, so their collections exist before it starts (MongoDB requires that). */
function writtenTypes(entries: BundleEntry[]): string[] {
  const types = new Set<string>();
  for (const e of entries) {
    if (e.resource?.resourceType) types.add(e.resource.resourceType);
    const first = e.request?.url?.split(/[/?]/)[0];
    if (first && isTypeName(first)) types.add(first);
  }
  return [...types];
}

function searches(req: FhirRequest): boolean {
  return req.query.length > 0 || req.headers['if-none-exist'] !== undefined;
}

/** transaction: all entries commit together or none do (spec 3.1.0.11.2). */
export async function transaction(ctx: RouterContext, outer: FhirRequest, bundle: Bundle): Promise<FhirResult> {
  const entries = checkEntryShapes(bundle.entry ?? []);
  await ctx.repo.ensureTypes(writtenTypes(entries).filter((t) => ctx.isServedType(t)));
  const responses = await ctx.repo.inTransaction(async (txRepo) => {
    const tx = ctx.withRepo(txRepo);
    const claims = new IdentityClaims();
    const prepared = await prepare(tx, outer, entries, claims);
    for (const { req } of prepared) {
      if (req.method === 'POST' && req.assignedId) txRepo.pendingIds.add(`${(req.body as Resource).resourceType}/${req.assignedId}`);
      else if (req.method === 'PUT' && req.body) txRepo.pendingIds.add(`${(req.body as Resource).resourceType}/${(req.body as Resource).id ?? ''}`);
    }
    const out: BundleEntry[] = new Array(entries.length);
    const ordered = [...prepared].sort((a, b) => ORDER[a.req.method] - ORDER[b.req.method] || a.index - b.index);
    let phase = -1;
    for (const { index, req } of ordered) {
      // Inserts are deferred within a phase; the next phase (updates, reads) must see them, and so must an entry
      // that searches (conditional create, update, patch or delete).
      if (ORDER[req.method] !== phase || searches(req)) await txRepo.flush();
      phase = ORDER[req.method];
      // A conditional update may now match what earlier entries wrote: that resource is then claimed twice.
      const type = req.method === 'PUT' ? conditionalTarget(req) : undefined;
      if (type && isTypeName(type) && ctx.isServedType(type)) {
        const found = await matchesOf(tx, req, type, index);
        if (found.length === 1) claims.claim(`${type}/${found[0]}`, index);
      }
      try {
        out[index] = responseEntry(await tx.route(req), ctx.baseUrl, showsResource(req, outer));
      } catch (err) {
        throw entryError(err, index);
      }
    }
    return out;
  });
  const response: Bundle = { resourceType: 'Bundle', type: 'transaction-response', entry: responses };
  return { status: 200, body: response };
}
