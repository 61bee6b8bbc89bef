import { suspensionOf, suspensionsParameters } from '../disclosures/suspension-parameters';
import { assertMaySuspend } from '../disclosures/suspension-access';
import type { SuspensionStore } from '../disclosures/suspensions';
import { parameter, type Operation } from './operation';
import { operationInput } from './parameters';

/**
 * `POST Patient/[id]/$suspend-accounting`: a temporary suspension of the patient's accounting of the disclosures
 * made to one health oversight agency or law enforcement official (45 CFR 164.528(a)(2)), until the end it names
 * (an oral statement: 30 days at most). Answers the suspension placed. Staff only (src/disclosures/suspension-access.ts).
 */
export const suspendAccounting = (store: () => SuspensionStore): Operation => ({
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Patient-suspend-accounting',
    url: 'urn:fhirstone:OperationDefinition/Patient-suspend-accounting',
    name: 'SuspendAccounting',
    title: "Suspend a patient's accounting of disclosures to an agency (45 CFR 164.528(a)(2))",
    status: 'active',
    kind: 'operation',
    code: 'suspend-accounting',
    description:
      'While the suspension is in force, $disclosures leaves out every disclosure to the agency or official it names. For callers bound to no patient ' +
      'that may create AuditEvents.',
    resource: ['Patient'],
    system: false,
    type: false,
    instance: true,
    affectsState: true,
    parameter: [
      parameter('in', 'agency', 'string', { min: 1, documentation: 'The health oversight agency or law enforcement official (as the disclosures name the recipient)' }),
      parameter('in', 'end', 'dateTime', { min: 1, documentation: 'When the suspension ends, as the agency or official stated' }),
      parameter('in', 'statement', 'code', { documentation: 'written (default) or oral; an oral statement suspends for 30 days at most' }),
      parameter('in', 'start', 'dateTime', { documentation: 'When the suspension starts (default: now)' }),
      parameter('in', 'reason', 'string', { documentation: "The agency's statement, in short" }),
      parameter('out', 'return', 'Parameters', { min: 1, documentation: 'The suspension placed: one suspension parameter with its parts' }),
    ],
  },
  handler: async (ctx, req, target) => {
    const patient = target.id as string;
    await assertMaySuspend(ctx, patient, 'create');
    const now = new Date();
    const suspension = suspensionOf(operationInput(req, 'suspend-accounting'), patient, ctx.repo.policy, now);
    await store().place(suspension);
    return { status: 201, body: suspensionsParameters([suspension], now) };
  },
});
