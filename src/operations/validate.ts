import type { Repository } from '../store/repository';
import { type Conformance, type ResourceCheck, validateOperation } from '../validation';
import { parameter, type Operation } from './operation';

/**
 * Does `type/id` exist, as `$validate` may tell the caller? What a create or update would tell it (`exists`: what it
 * can read, or for a type it cannot read what its compartment holds) when it may read that type or write the
 * validated one; otherwise the reference is not checked (taken as existing), so the answer carries nothing the
 * caller's policy hides.
 */
async function referenceVisible(repo: Repository, type: string, id: string, mayWrite: boolean): Promise<boolean> {
  return mayWrite || repo.policy.allows(type, 'read') || repo.policy.allows(type, 'search') ? repo.exists(type, id) : true;
}

/**
 * `[type]/$validate` and `[type]/[id]/$validate` (R4 Resource-validate) against the server's conformance
 * resources and its `resourceCheck` (the one writes run, given the caller's repository): an OperationOutcome,
 * nothing stored.
 */
export const validate = (conformance: Conformance, resourceCheck?: (repo: Repository) => ResourceCheck): Operation => ({
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Resource-validate',
    url: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    name: 'Validate',
    status: 'active',
    kind: 'operation',
    code: 'validate',
    resource: ['Resource'],
    system: false,
    type: true,
    instance: true,
    affectsState: false,
    parameter: [
      parameter('in', 'resource', 'Resource'),
      parameter('in', 'mode', 'code'),
      parameter('in', 'profile', 'uri'),
      parameter('out', 'return', 'OperationOutcome', { min: 1 }),
    ],
  },
  handler: async (ctx, req, target) => {
    const type = target.type as string;
    // Its reference checks tell whether ids exist: only for a caller with some grant on the type.
    ctx.repo.assertAllowedAny(type, ['read', 'search', 'create', 'update', 'delete']);
    const mayWrite = ctx.repo.policy.allows(type, 'create') || ctx.repo.policy.allows(type, 'update');
    return {
      status: 200,
      body: await validateOperation(conformance, type, target.id, req.body, {
        referenceExists: (t, id) => referenceVisible(ctx.repo, t, id, mayWrite),
        storedTypes: (t) => ctx.isServedType(t),
        resourceCheck: resourceCheck?.(ctx.repo),
        baseUrl: ctx.baseUrl,
      }),
    };
  },
});
