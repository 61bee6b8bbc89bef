import type { AuditEvent, Parameters } from 'fhir/r4';
import type { ClientSession } from 'mongodb';
import type { Logger } from 'pino';
import type { JobServices } from '../jobs';
import type { Job } from '../jobs/job';
import { simpleKind, type SimpleJobContext } from '../jobs/simple-kind';
import { destructionEvent } from './audit-event';
import { type CertificateInput, storeCertificate } from './certificate';
import { applySurvey } from './destroy-batch';
import { discardExports } from './export-files';
import { identityHasher } from './identity-hash';
import type { DestroyedRecord, Ledger, LedgerBatch, RecordPart } from './ledger';
import { type BatchSurvey, surveyBatch } from './record-survey';
import type { Repository } from '../store/repository';
import { destroyInParts, recordSizes } from './large-records';
import type { RetentionSource } from './retention-source';
import { type ReviewPosition, reviewedPatients } from './review-lines';

export const DESTRUCTION_KIND = 'destruction';

/** Fixed at approval: what is destroyed, on whose authority, and the salt of the certificate's hashes. */
export interface DestructionParams {
  review: string;
  reviewUrl: string;
  reviewDate: string;
  /** When the review started: a record changed after it drops out. */
  reviewedAt: string;
  requester: string;
  approver: string;
  approvedAt: string;
  salt: string;
}

export interface DestructionState extends ReviewPosition {
  phase: 'records' | 'exports' | 'certificate' | 'compact' | 'done';
  /** Batches committed (the next batch's number). */
  batch: number;
  destroyed: number;
  dropped: number;
  /** When the last record went: exports started before it may hold one. */
  recordsDoneAt?: string;
}

export interface DestructionDeps {
  retention: RetentionSource;
  jobs: JobServices;
  ledger: Ledger;
  types: () => string[];
  baseUrl: () => string;
  /** Records the destruction's AuditEvents on the server's trail. */
  audit: (event: AuditEvent) => void;
  /** Drops the destroyed bytes from the store's files (the embedded engine's compaction; MongoDB's compact). */
  compact: () => Promise<void>;
  /** Gives the crypto-shredding keys of the destroyed patients up, in the batch's transaction. */
  shredKeys: (patients: readonly string[], session: ClientSession) => Promise<void>;
  batchSize: number;
  /** Resources removed per transaction at most: a larger record goes in parts before its batch. */
  transactionResources: number;
  leaseMs: number;
  logger: () => Logger | undefined;
}

export const certificateId = (jobId: string) => `destruction-${jobId}`;

type Ctx = SimpleJobContext<DestructionState>;
type Retention = RecordPart['retention'];
type DestructionJob = Job<{ params: DestructionParams }>;

/**
 * The destruction of a reviewed list of records, in batches, each one transaction: the records that may still go
 * (eligible now, no hold, nothing changed since the review) are surveyed and removed, their shared resources
 * rewritten, their keys shredded, and the batch noted in the ledger. Then the exports that may hold them, the
 * certificate, and the compaction of the store's files. Every step resumes where a crash left it.
 */
export function destructionKind(deps: DestructionDeps) {
  return simpleKind<DestructionParams, DestructionState>({
    kind: DESTRUCTION_KIND,
    progress: (job) =>
      `${job.checkpoint.state?.phase ?? 'records'}: ${job.checkpoint.state?.destroyed ?? 0} records destroyed, ${job.checkpoint.state?.dropped ?? 0} dropped out`,
    async run(job, ctx) {
      let state: DestructionState = ctx.state ?? { phase: 'records', file: 0, line: 0, batch: 0, destroyed: 0, dropped: 0 };
      const params = job.plan.params;
      if (state.phase === 'records') state = await destroyRecords(deps, job, ctx, state);
      if (state.phase === 'exports') {
        const hash = identityHasher(params.salt);
        const destroyed = new Set((await deps.ledger.all(job._id)).flatMap((b) => b.records.map((r) => r.record)));
        const jobs = deps.jobs.store();
        await discardExports(jobs, deps.jobs.files(), (id) => destroyed.has(hash(`Patient/${id}`)), new Date(state.recordsDoneAt ?? Date.now()), deps.leaseMs);
        await ctx.checkpoint((state = { ...state, phase: 'certificate' }), state.destroyed);
      }
      if (state.phase === 'certificate') {
        const batches = await deps.ledger.all(job._id);
        await storeCertificate(ctx.repo.privileged(), certificateInput(job, batches, state));
        await ctx.write('Parameters', {
          resourceType: 'Parameters',
          parameter: [{ name: 'certificate', valueReference: { reference: `DocumentReference/${certificateId(job._id)}` } }],
        });
        await deps.ledger.remove(job._id);
        // The review listed the patients: it goes now, with its files.
        await deps.jobs.store().jobs.updateOne({ _id: params.review }, { $set: { expiresAt: new Date() } });
        await ctx.checkpoint((state = { ...state, phase: 'compact' }), state.destroyed);
      }
      if (state.phase === 'compact') {
        await deps.compact();
        await ctx.checkpoint((state = { ...state, phase: 'done' }), state.destroyed);
      }
      return state.destroyed;
    },
  });
}

async function destroyRecords(deps: DestructionDeps, job: DestructionJob & { _id: string }, ctx: Ctx, start: DestructionState): Promise<DestructionState> {
  const params = job.plan.params;
  const review = await deps.jobs.store().get(params.review);
  if (!review) throw new Error(`the review ${params.review} is gone`);
  const outputs = review.checkpoint.files.filter((f) => f.kind === 'output');
  const hash = identityHasher(params.salt);
  const reviewedAt = new Date(params.reviewedAt);
  let state = start;
  let batch: string[] = [];
  let next: ReviewPosition = { file: state.file, line: state.line };
  const flush = async () => {
    const done = await destroyBatch(deps, job._id, ctx, state.batch, batch, reviewedAt, hash);
    for (const d of done.dropped) await ctx.write('Parameters', droppedLine(d.patient, d.reason));
    state = { ...state, ...next, batch: state.batch + 1, destroyed: state.destroyed + done.records.length, dropped: state.dropped + done.dropped.length };
    batch = [];
    await ctx.checkpoint(state, state.destroyed);
  };
  for await (const item of reviewedPatients(deps.jobs.files(), params.review, outputs, next)) {
    batch.push(item.patient);
    next = item.next;
    if (batch.length >= deps.batchSize) await flush();
  }
  if (batch.length) await flush();
  state = { ...state, phase: 'exports', recordsDoneAt: new Date().toISOString() };
  await ctx.checkpoint(state, state.destroyed);
  return state;
}

/**
 * One batch in one transaction. A batch the ledger already has (committed before a crash, its checkpoint lost) is
 * not done again: its dropped records are reported from the ledger.
 */
async function destroyBatch(
  deps: DestructionDeps,
  jobId: string,
  ctx: Ctx,
  number: number,
  candidates: string[],
  reviewedAt: Date,
  hash: (identity: string) => string,
): Promise<LedgerBatch> {
  const done = await deps.ledger.find(jobId, number);
  if (done) return done;
  const system = ctx.repo.privileged();
  const now = new Date();
  const dropped: LedgerBatch['dropped'] = [];
  const retained = new Map<string, Retention>();
  // Records whose destruction began in parts (large-records.ts) before a crash go whole, as they were judged then.
  const begun = new Set<string>();
  const started = new Map((await deps.ledger.parts(jobId, number)).map((b) => [b.part!.record, b.part!.retention]));
  for (const patient of candidates) {
    const judged = started.get(hash(`Patient/${patient}`));
    if (judged) {
      retained.set(patient, judged);
      begun.add(patient);
      continue;
    }
    const retention = await deps.retention.retentionOf(system, patient, now);
    if (retention.holds.length) dropped.push({ patient, reason: `on hold: ${retention.holds.map((h) => h.hold).join(', ')}` });
    else if (!retention.eligible) dropped.push({ patient, reason: `not eligible now (rule ${retention.rule}, destroy after ${retention.destroyAfter ?? 'unknown'})` });
    else retained.set(patient, retention);
  }
  for (;;) {
    const parts = await deps.ledger.parts(jobId, number);
    const result = await system.inTransaction(async (tx): Promise<{ toPart: string[] } | { entry: LedgerBatch; destroyed: string[] }> => {
      // Run again from here when the transaction conflicts, so nothing below changes what was decided above.
      const keep = new Map(retained);
      const out = [...dropped];
      const drop = (patient: string, reason: string) => {
        keep.delete(patient);
        out.push({ patient, reason });
      };
      // A hold placed since the check above: read in the transaction, after writing the records' guards, so that a
      // hold committing meanwhile conflicts with this batch (src/retention/hold-guard.ts). A record whose
      // destruction has begun cannot be held any more.
      const judging = [...keep.keys()].filter((p) => !begun.has(p));
      for (const [patient, holds] of await deps.retention.holdsNow(tx, judging)) drop(patient, `on hold: ${holds.map((h) => h.hold).join(', ')}`);
      const purge = tx.purge();
      const survey = () => surveyBatch({ purge, membership: deps.retention.membership, types: deps.types(), baseUrl: deps.baseUrl() }, [...keep.keys()]);
      let found = await survey();
      const changed = [...found.latest].filter(([patient, lu]) => lu > reviewedAt && !begun.has(patient)).map(([patient]) => patient);
      if (changed.length) {
        for (const patient of changed) drop(patient, 'changed after the review');
        found = await survey();
      }
      const toPart = tooLarge(recordSizes(found), deps.transactionResources, begun);
      if (toPart.length) return { toPart };
      const applied = await applySurvey(purge, found, hash, deps.baseUrl());
      const records: DestroyedRecord[] = [...keep].map(([patient, r]) => ({
        record: hash(`Patient/${patient}`),
        rule: r.rule,
        ...(r.triggerDate ? { triggerDate: r.triggerDate } : {}),
        ...(r.destroyAfter ? { destroyAfter: r.destroyAfter } : {}),
        counts: withParts(applied.perRecord.get(patient) ?? {}, parts, hash(`Patient/${patient}`)),
      }));
      await deps.shredKeys([...keep.keys()], purge.session);
      await deps.retention.forget(tx, [...keep.keys()]);
      const batch: LedgerBatch = { _id: `${jobId}/${number}`, job: jobId, batch: number, records, identities: applied.identities, totals: applied.totals, dropped: out };
      await deps.ledger.add(batch, purge.session);
      return { entry: batch, destroyed: [...keep.keys()] };
    });
    if ('entry' in result) {
      if (result.destroyed.length) deps.audit(destructionEvent({ job: jobId, patients: result.destroyed, certificate: certificateId(jobId), baseUrl: deps.baseUrl() }));
      return result.entry;
    }
    const partsCtx = {
      membership: deps.retention.membership,
      types: deps.types(),
      baseUrl: deps.baseUrl(),
      ledger: deps.ledger,
      hash,
      limit: deps.transactionResources,
      // As the batch would judge it: no hold now, nothing changed since the review (else the batch drops it).
      mayBegin: async (tx: Repository, patient: string, found: BatchSurvey) =>
        (await deps.retention.holdsNow(tx, [patient])).size === 0 && !((found.latest.get(patient) ?? 0) > reviewedAt),
    };
    for (const patient of result.toPart) {
      const firstPart = parts.filter((b) => b.part!.record === hash(`Patient/${patient}`)).length;
      if (await destroyInParts(system, partsCtx, { job: jobId, batch: number, firstPart }, patient, retained.get(patient)!)) begun.add(patient);
    }
  }
}

/**
 * The records of a batch over `limit` resources to remove in parts first, largest first, until what is left of the
 * batch fits (each leaves its Patient to the batch); none when the batch fits, or every large record is in parts.
 */
function tooLarge(sizes: Map<string, number>, limit: number, begun: ReadonlySet<string>): string[] {
  let total = [...sizes.values()].reduce((a, b) => a + b, 0);
  const picked: string[] = [];
  for (const [patient, size] of [...sizes].sort((a, b) => b[1] - a[1])) {
    if (total <= limit) break;
    if (begun.has(patient) || size <= 1) continue;
    picked.push(patient);
    total -= size - 1;
  }
  return picked;
}

/** A record's counts per type in its batch plus those of its parts. */
function withParts(counts: Record<string, number>, parts: readonly LedgerBatch[], record: string): Record<string, number> {
  const sum = { ...counts };
  for (const b of parts) if (b.part?.record === record) for (const [type, n] of Object.entries(b.part.counts)) sum[type] = (sum[type] ?? 0) + n;
  return sum;
}

const droppedLine = (patient: string, reason: string): Parameters => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'dropped', valueReference: { reference: `Patient/${patient}` } },
    { name: 'reason', valueString: reason },
  ],
});

function certificateInput(job: DestructionJob & { _id: string; createdAt: Date }, batches: LedgerBatch[], state: DestructionState): CertificateInput {
  return {
    id: certificateId(job._id),
    job: job._id,
    params: job.plan.params,
    startedAt: job.createdAt.toISOString(),
    completedAt: state.recordsDoneAt ?? new Date().toISOString(),
    records: batches.flatMap((b) => b.records),
    identities: batches.flatMap((b) => b.identities),
    totals: batches.map((b) => b.totals),
    dropped: state.dropped,
  };
}
