import type { Retention } from '../retention';
import type { RetentionSource } from './retention-source';

/**
 * The retention rules (src/retention/) as destruction asks them: the record's rule, trigger and destroy-after dates,
 * whether it is due for destruction (holds aside: destruction reports those apart), the holds in force, and the
 * policy's membership (member, shared, kept) of each resource.
 */
export function retentionSource(retention: Retention): RetentionSource {
  return {
    membership: { roleOf: (resource, patientId, baseUrl) => retention.roleOf(resource, patientId, baseUrl) },
    async retentionOf(repo, patientId, at) {
      const r = await retention.retentionOf(repo, patientId, at);
      return {
        rule: r.rule ?? 'none',
        ...(r.triggerDate ? { triggerDate: r.triggerDate } : {}),
        ...(r.destroyAfter ? { destroyAfter: r.destroyAfter } : {}),
        eligible: r.due && r.action === 'destroy',
        holds: r.holds.map((h) => ({ hold: `Basic/${h.id}`, matter: h.matter })),
      };
    },
  };
}
