import type { AccessInteraction } from '../auth/access-policy';
import { forbidden } from '../errors/operation-outcome-error';
import type { RouterContext } from '../router/context';
import { assertPatientKnown } from './record-access';

/**
 * Who may place or list suspensions of a patient's accounting: the covered entity's staff, never the patient (a
 * suspension is kept from the patient while it lasts): a caller bound to no patient that may `interaction`
 * AuditEvents (create to place one, search to list them). The patient must exist (404 otherwise). The request's
 * AuditEvent names the patient; the access report leaves these operations out (src/disclosures/access-report.ts).
 */
export async function assertMaySuspend(ctx: RouterContext, patient: string, interaction: AccessInteraction): Promise<void> {
  const policy = ctx.repo.policy;
  if (policy.patientIds) throw forbidden('Suspensions of an accounting are placed and read by the covered entity, not with a patient-bound token');
  if (!policy.allows('AuditEvent', interaction)) throw forbidden(`The access token does not allow ${interaction} on AuditEvent, which suspensions of an accounting need`);
  await assertPatientKnown(ctx.repo.privileged(), patient);
  ctx.repo.trace?.add('Patient', patient, []);
}
