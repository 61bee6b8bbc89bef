import { recordIds } from '../disclosures/record-access';
import { suspensionsParameters } from '../disclosures/suspension-parameters';
import { assertMaySuspend } from '../disclosures/suspension-access';
import type { SuspensionStore } from '../disclosures/suspensions';
import { parameter, type Operation } from './operation';

/**
 * `GET Patient/[id]/$accounting-suspensions`: every suspension placed on the patient's accounting (and on the records
 * merged into it), in force or not. Staff only, like placing one.
 */
export const accountingSuspensions = (store: () => SuspensionStore): Operation => ({
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Patient-accounting-suspensions',
    url: 'urn:fhirstone:OperationDefinition/Patient-accounting-suspensions',
    name: 'AccountingSuspensions',
    title: "The suspensions of a patient's accounting of disclosures",
    status: 'active',
    kind: 'operation',
    code: 'accounting-suspensions',
    description:
      'Lists the suspensions placed with $suspend-accounting, oldest first, with whether each is in force. For callers bound to no patient that may search AuditEvents.',
    resource: ['Patient'],
    system: false,
    type: false,
    instance: true,
    affectsState: false,
    parameter: [parameter('out', 'return', 'Parameters', { min: 1, documentation: 'One suspension parameter per suspension' })],
  },
  handler: async (ctx, _req, target) => {
    const patient = target.id as string;
    await assertMaySuspend(ctx, patient, 'search');
    const ids = await recordIds(ctx.repo.privileged(), patient);
    return { status: 200, body: suspensionsParameters(await store().ofRecord(ids), new Date()) };
  },
});
