import type { AuditEvent, Parameters, ParametersParameter } from 'fhir/r4';
import { type QueryKeys, unsealedDetails, unsealedOutcome, unsealedQuery } from '../audit/query-text';
import { parameter, type Operation } from './operation';

/**
 * `AuditEvent/[id]/$query-text`: the query a stored event sealed (src/audit/query-text.ts), for a caller that may read
 * the event; `shredded` true when the keys that sealed it were destroyed with the records it named. The event's
 * sealed text details (a legal hold's matter and reason) come back as `detail` parts: entity, type, and the text
 * or `shredded`; the sealed why of its outcome as `outcome` (text, or `shredded` in a part).
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
        "The search or operation query an AuditEvent recorded, which the trail stores encrypted under the keys of the patients it names (the description keeps only the parameter names), and the text details it sealed the same way (a legal hold's matter and reason). After a record's destruction its key is gone and the text can no longer be read.",
      resource: ['AuditEvent'],
      system: false,
      type: false,
      instance: true,
      affectsState: false,
      parameter: [
        parameter('out', 'text', 'string', { documentation: 'The query, when it can be read' }),
        parameter('out', 'shredded', 'boolean', { min: 1, documentation: 'True when the keys that sealed it were destroyed' }),
        parameter('out', 'outcome', 'string', { documentation: "The why of the event's outcome (after its HTTP status), when it was sealed and can be read" }),
        parameter('out', 'outcome-shredded', 'boolean', { documentation: 'True when the why of the outcome was sealed under keys since destroyed' }),
        {
          name: 'detail',
          use: 'out',
          min: 0,
          max: '*',
          documentation: 'A sealed text detail of the event (a legal hold matter and reason)',
          part: [
            parameter('out', 'entity', 'Reference', { documentation: 'The entity the detail is of' }),
            parameter('out', 'type', 'string', { min: 1 }),
            parameter('out', 'text', 'string', { documentation: 'The text, when it can be read' }),
            parameter('out', 'shredded', 'boolean', { documentation: 'True when the keys that sealed it were destroyed' }),
          ],
        },
      ],
    },
    handler: async (ctx, _req, target) => {
      const event = JSON.parse((await ctx.repo.read('AuditEvent', target.id!)).r) as AuditEvent;
      const text = await unsealedQuery(event, keys());
      const details = (await unsealedDetails(event, keys())).map((d): ParametersParameter => ({
        name: 'detail',
        part: [
          ...(d.entity ? [{ name: 'entity', valueReference: { reference: d.entity } }] : []),
          { name: 'type', valueString: d.type },
          d.value === 'shredded' ? { name: 'shredded', valueBoolean: true } : { name: 'text', valueString: d.value },
        ],
      }));
      const why = await unsealedOutcome(event, keys());
      const outcome: ParametersParameter[] =
        why === undefined ? [] : [why === 'shredded' ? { name: 'outcome-shredded', valueBoolean: true } : { name: 'outcome', valueString: why }];
      const body: Parameters = {
        resourceType: 'Parameters',
        parameter: [
          ...(text && text !== 'shredded' ? [{ name: 'text', valueString: text }] : []),
          { name: 'shredded', valueBoolean: text === 'shredded' },
          ...outcome,
          ...details,
        ],
      };
      return { status: 200, body };
    },
  };
}
