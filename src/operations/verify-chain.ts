import type { AuditTrail } from '../audit';
import { forbidden } from '../errors/operation-outcome-error';
import { parameter, type Operation } from './operation';

type OutType = Parameters<typeof parameter>[2];
const out = (name: string, type: OutType, documentation: string, min = 1, max = '1') => parameter('out', name, type, { min, max, documentation });

/**
 * `AuditEvent/$verify-chain`: walks the hash chain of the audit trail and reports whether it is intact, and where
 * it is not. Defined here (no published operation does this); readable at `OperationDefinition/AuditEvent-verify-chain`.
 */
export function verifyChain(trail: () => AuditTrail | undefined): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'AuditEvent-verify-chain',
      url: 'urn:fhirstone:OperationDefinition/AuditEvent-verify-chain',
      name: 'VerifyChain',
      title: 'Verify the hash chain of the audit trail',
      status: 'active',
      kind: 'operation',
      code: 'verify-chain',
      description:
        'Recomputes the hash of every AuditEvent the server chained and checks each link to its predecessor. Needs read ' +
        'access to the whole trail (a system or user scope without patient context or search restriction).',
      resource: ['AuditEvent'],
      system: false,
      type: true,
      instance: false,
      affectsState: false,
      parameter: [
        out('intact', 'boolean', 'True when no break was found'),
        out('checked', 'integer', 'How many chained events were checked'),
        out('lastSequence', 'decimal', 'Sequence number of the head of the chain', 0),
        out('lastHash', 'string', 'Hash of the head of the chain', 0),
        out('breaks', 'integer', 'How many breaks were found'),
        out('breakCount', 'Element', 'Breaks of one kind: parts kind (code) and count (integer)', 0, '*'),
        out('break', 'Element', 'One break: parts kind, id, sequence, detail (the first ones found)', 0, '*'),
        out('failedLoginsPending', 'integer', 'Failed logins counted but not yet written as an aggregated event', 0),
      ],
    },
    handler: async (ctx) => {
      ctx.repo.assertAllowed('AuditEvent', 'read');
      // The report covers the whole trail (counts, head hash, ids of breaks): for auditors, not a patient's app.
      const policy = ctx.repo.policy;
      if (policy.patientIds || policy.searchRestrictions('AuditEvent', 'read')) {
        throw forbidden('AuditEvent/$verify-chain needs read access to the whole trail (a system or user scope)');
      }
      const audit = trail();
      if (!audit) throw new Error('audit trail not started');
      return { status: 200, body: await audit.verifyChain() };
    },
  };
}
