import type { AuditEvent, Parameters } from 'fhir/r4';
import { type QueryKeys, unsealedQuery } from '../audit/query-text';
import { parameter, type Operation } from './operation';

/**
 * `AuditEvent/[id]/$query-text`: the query a stored event sealed (src/audit/query-text.ts), for a caller that may read
 * the event; `shredded` true when the keys that sealed it were destroyed with the records it named.
 */
export function auditQueryText(keys: () => QueryKeys): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'AuditEvent-query-text',
      url: 'urn:fhirstone:OperationDefinition/AuditEvent-query-text',
      name: 'AuditQueryText',
      title: 'Read the sealed query text of an AuditEvent',
      status: 'active',
      kind: 'operation',
      code: 'query-text',
      description:
        "The search or operation query an AuditEvent recorded, which the trail stores encrypted under the keys of the patients it names (the description keeps only the parameter names). After a record's destruction its key is gone and the text can no longer be read.",
      resource: ['AuditEvent'],
      system: false,
      type: false,
      instance: true,
      affectsState: false,
      parameter: [
        parameter('out', 'text', 'string', { documentation: 'The query, when it can be read' }),
        parameter('out', 'shredded', 'boolean', { min: 1, documentation: 'True when the keys that sealed it were destroyed' }),
      ],
    },
    handler: async (ctx, _req, target) => {
      const event = JSON.parse((await ctx.repo.read('AuditEvent', target.id!)).r) as AuditEvent;
      const text = await unsealedQuery(event, keys());
      const body: Parameters = {
        resourceType: 'Parameters',
        parameter: [...(text && text !== 'shredded' ? [{ name: 'text', valueString: text }] : []), { name: 'shredded', valueBoolean: text === 'shredded' }],
      };
      return { status: 200, body };
    },
  };
}
