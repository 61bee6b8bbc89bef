import { type Retention, holdsOnRecords } from '../retention';
import { dropGuards, touchGuards } from '../retention/hold-guard';
import type { HoldInForce, RetentionSource } from './retention-source';

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
    async holdsNow(tx, patientIds) {
      await touchGuards(
        tx,
        patientIds.map((id) => `Patient/${id}`),
      );
      const held = new Map<string, HoldInForce[]>();
      for (const h of await holdsOnRecords(tx.privileged(), patientIds)) {
        for (const id of h.records) if (patientIds.includes(id)) held.set(id, [...(held.get(id) ?? []), { hold: `Basic/${h.id}`, matter: h.matter }]);
      }
      return held;
    },
    forget: (tx, patientIds) => dropGuards(tx, patientIds),
  };
}
