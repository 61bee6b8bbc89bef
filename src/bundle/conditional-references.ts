import type { Resource } from 'fhir/r4';
import { preconditionFailed } from '../errors/operation-outcome-error';
import { collectReferences } from '../fhir/references';
import type { RouterContext } from '../router/context';
import { isTypeName } from '../router/paths';

/** `Patient?identifier=a|b` — a conditional reference (spec 3.1.0.11.3). */
export function isConditionalReference(ref: string): boolean {
  const q = ref.indexOf('?');
  return q > 0 && isTypeName(ref.slice(0, q));
}

/**
 * Resolves the conditional references of a resource into `resolved` (reference -> `Type/id`), through the
 * caller's repository (policy applied): exactly one match resolves; none or several is 412.
 */
export async function resolveConditionalReferences(ctx: RouterContext, resource: Resource, resolved: Map<string, string>): Promise<void> {
  for (const ref of collectReferences(resource)) {
    if (resolved.has(ref) || !isConditionalReference(ref)) continue;
    const q = ref.indexOf('?');
    const type = ref.slice(0, q);
    const found = await ctx.search.findMatchingIds(ctx.repo, type, [...new URLSearchParams(ref.slice(q + 1))], 2);
    if (found.length !== 1) {
      throw preconditionFailed(`Conditional reference ${ref} matched ${found.length} resources; it must match exactly one`);
    }
    resolved.set(ref, `${type}/${found[0]}`);
  }
}
