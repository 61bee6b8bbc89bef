import type { AuditEvent } from 'fhir/r4';
import { OperationOutcomeError, issue, unprocessable } from '../errors/operation-outcome-error';
import { relativizeReferences } from '../fhir/references';
import { resourceBody } from '../router/body';
import { writeResult } from '../router/respond';
import type { Route } from '../router/route';
import type { AuditTrail } from './audit-trail';
import { disclosureShapeProblems, isDisclosure } from './disclosure-shape';

/**
 * `POST AuditEvent`: client-supplied AuditEvents join the hash chain, marked as submitted by the caller
 * (src/audit/origin.ts), instead of the generic create. The generic route still declares `create` in the
 * CapabilityStatement.
 */
export function auditSubmitRoute(trail: () => AuditTrail | undefined): Route {
  return {
    methods: ['POST'],
    path: '{type}',
    types: ['AuditEvent'],
    interaction: 'create',
    handler: async (ctx, req) => {
      const resource = resourceBody(req, 'AuditEvent') as AuditEvent;
      ctx.repo.assertAllowed('AuditEvent', 'create');
      if (ctx.repo.inTransactionNow) {
        throw unprocessable('AuditEvent cannot be created inside a transaction: the audit trail commits on its own');
      }
      relativizeReferences(resource, ctx.baseUrl);
      await ctx.validation.assertValid(resource, ctx.repo, 'create');
      // A recorded disclosure must say what the accounting of disclosures lists (README "Accounting of disclosures").
      const problems = isDisclosure(resource) ? disclosureShapeProblems(resource) : [];
      if (problems.length)
        throw new OperationOutcomeError(
          'unprocessable',
          problems.map((p) => issue('required', p.problem, p.path)),
        );
      // The trail stores it, the repository decides: patient compartment, granular create scopes.
      await ctx.repo.assertCreatable('AuditEvent', resource);
      const audit = trail();
      if (!audit) throw new Error('audit trail not started');
      const stored = await audit.submit(resource, ctx.repo.policy);
      // The server's own record of this create names the event it stored.
      ctx.repo.trace?.add('AuditEvent', stored.id as string, []);
      const vid = Number(stored.meta?.versionId ?? 1);
      const location = `${ctx.baseUrl}/AuditEvent/${stored.id}/_history/${vid}`;
      return writeResult(
        req,
        201,
        { vid, lu: new Date(stored.meta?.lastUpdated ?? Date.now()), r: JSON.stringify(stored) },
        { Location: location },
        `Created AuditEvent/${stored.id}`,
      );
    },
  };
}
