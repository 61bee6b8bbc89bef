/**
 * A lease on a document: the process that holds it until `leaseUntil`. A job (src/jobs/job-store.ts) and the upload
 * sweep's state (src/binary/sweep.ts) are leased alike, so that of several server processes on one database one at a
 * time runs it; a holder that stops renewing (a crashed process) loses it when `leaseUntil` passes.
 */
export interface Lease {
  leaseOwner?: string;
  /** The epoch when free: never taken, or handed back. */
  leaseUntil: Date;
}

/** `leaseUntil` of a lease nobody holds. */
export const RELEASED = new Date(0);

/** Filter: the lease is free at `now` (handed back, or its holder stopped renewing it). */
export const leaseFree = (now: Date) => ({ leaseUntil: { $lte: now } });

/** Update ($set): `owner` holds the lease for `ms` from `now`. */
export const leaseTo = (owner: string, ms: number, now = new Date()): Required<Lease> => ({
  leaseOwner: owner,
  leaseUntil: new Date(now.getTime() + ms),
});
