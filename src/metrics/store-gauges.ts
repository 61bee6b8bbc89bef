import type { Db } from 'mongodb';
import { JOBS_COLLECTION } from '../jobs/job-store';
import { EXPORT_KIND } from '../jobs/job';
import type { ServerMetrics } from './server-metrics';

/**
 * Gauges read from the store at scrape time: asynchronous jobs per kind and state (every instance on the store sees
 * the same counts), and this instance's audit queue (events accepted, not yet stored).
 */
export function addStoreGauges(metrics: ServerMetrics, db: Db, auditQueue: () => number): void {
  metrics.gauge('fhirstone_jobs', 'Asynchronous jobs in the store ($export, $import, audits, ...) by kind and state', ['kind', 'state'], async () => {
    const groups = await db
      .collection(JOBS_COLLECTION)
      .aggregate<{ _id: { kind?: string; state: string }; n: number }>([{ $group: { _id: { kind: '$kind', state: '$status' }, n: { $sum: 1 } } }])
      .toArray();
    return groups.map((g) => ({ labels: { kind: g._id.kind ?? EXPORT_KIND, state: g._id.state }, value: g.n }));
  });
  metrics.gauge('fhirstone_audit_queue_depth', 'AuditEvents this instance has accepted and not yet stored', [], () => [{ labels: {}, value: auditQueue() }]);
}
