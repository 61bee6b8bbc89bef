import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { rewriteReferences } from '../fhir/references';
import { resolveConditionalReferences } from './conditional-references';
import { errorResponse } from '../http/errors';
import type { RouterContext } from '../router/context';
import type { FhirRequest, FhirResult } from '../router/types';
import { entryRequest, responseEntry, showsResource, statusLine } from './entry-request';
import { entryResourceType } from './entry-shape';

/** Entries of a batch run this many at a time: independent by definition, and the store overlaps round trips. */
const CONCURRENCY = 8;

async function runEntry(ctx: RouterContext, outer: FhirRequest, entry: unknown, index: number): Promise<BundleEntry> {
  try {
    const req = entryRequest(entry, index, outer, ctx.baseUrl);
    if (req.body && typeof req.body === 'object' && 'resourceType' in req.body) {
      const resolved = new Map<string, string>();
      await resolveConditionalReferences(ctx, req.body as Resource, resolved);
      rewriteReferences(req.body as Resource, resolved);
    }
    return responseEntry(await ctx.route(req), ctx.baseUrl, showsResource(req, outer));
  } catch (err) {
    // One failing entry never affects the others: its error becomes its own response (spec 3.1.0.11.1).
    const r = errorResponse(err);
    return { response: { status: statusLine(r.status), outcome: r.body } };
  }
}

/** batch: every entry processed on its own, results in entry order. */
export async function batch(ctx: RouterContext, outer: FhirRequest, bundle: Bundle): Promise<FhirResult> {
  // Entries are checked one by one in runEntry: a malformed entry is its own 400, the others still run.
  const entries: unknown[] = bundle.entry ?? [];
  await ctx.repo.ensureTypes(entries.map(entryResourceType).filter((t): t is string => !!t && ctx.isServedType(t)));
  const out: BundleEntry[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      out[i] = await runEntry(ctx, outer, entries[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
  const response: Bundle = { resourceType: 'Bundle', type: 'batch-response', entry: out };
  return { status: 200, body: response };
}
