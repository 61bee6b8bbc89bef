import type { AuditInteraction, ExportJobRef } from '../audit';
import { OperationOutcomeError, forbidden, issue, notFound, outcome } from '../errors/operation-outcome-error';
import { partialContentHeaders, requestedRange } from '../http/byte-range';
import { mayAccess } from '../jobs/access-context';
import type { JobFileStore } from '../jobs/file-store';
import { EXPORT_KIND, kindOf, type Job, type JobFile } from '../jobs/job';
import type { JobStore } from '../jobs/job-store';
import type { JobKind } from '../jobs/kind';
import type { RouterContext } from '../router/context';
import type { Route, RouteParams } from '../router/route';
import type { FhirRequest, FhirResult } from '../router/types';

export interface StatusRouteDeps {
  /** Resolved at request time: the store is connected after the route table is built. */
  state(): { jobs: JobStore; files: JobFileStore; kinds: ReadonlyMap<string, JobKind>; retryAfterSeconds: number };
  /** Whether a file download needs the client's token (authorization is configured), as the manifest says. */
  requiresAccessToken(): boolean;
}

/**
 * The URLs of a job after its kick-off: `$export-status` and `$export-file` for Bulk Data exports (the names the
 * IG's clients know), `$job-status` and `$job-file` for every other kind. Each family answers for its own jobs only.
 */
interface Family {
  status: string;
  file: string;
  interactions: { poll: AuditInteraction; cancel: AuditInteraction; download: AuditInteraction };
}

const EXPORT_FAMILY: Family = {
  status: '$export-status',
  file: '$export-file',
  interactions: { poll: 'export-status', cancel: 'export-cancel', download: 'export-file' },
};
const JOB_FAMILY: Family = { status: '$job-status', file: '$job-file', interactions: { poll: 'job-status', cancel: 'job-cancel', download: 'job-file' } };

const familyOf = (job: Pick<Job, 'kind'>) => (kindOf(job) === EXPORT_KIND ? EXPORT_FAMILY : JOB_FAMILY);

export const jobStatusUrl = (baseUrl: string, job: Pick<Job, '_id' | 'kind'>) => `${baseUrl}/${familyOf(job).status}/${job._id}`;
export const jobFileUrl = (baseUrl: string, job: Pick<Job, '_id' | 'kind'>, name: string) => `${baseUrl}/${familyOf(job).file}/${job._id}/${name}`;

/** The completion manifest: the Bulk Data IG's for exports, the same shape for every other kind. */
export function manifest(job: Job, baseUrl: string, requiresAccessToken: boolean) {
  const entries = (kind: JobFile['kind']) =>
    job.checkpoint.files.filter((f) => f.kind === kind).map((f) => ({ type: f.type, url: jobFileUrl(baseUrl, job, f.name), count: f.count }));
  const isExport = kindOf(job) === EXPORT_KIND;
  return {
    transactionTime: job.transactionTime.toISOString(),
    request: job.request,
    requiresAccessToken,
    output: entries('output'),
    ...(isExport ? { deleted: entries('deleted') } : {}),
    error: entries('error'),
  };
}

/**
 * The job a status, cancel or download request names, if the caller shares its access context. Its AuditEvent
 * names the job (and file) asked for in any case, and the job's patients once access is granted, so the event is
 * in their compartments.
 */
async function ownJob(ctx: RouterContext, req: FhirRequest, deps: StatusRouteDeps, family: Family, p: RouteParams): Promise<Job> {
  const ref: ExportJobRef = { id: p.job, url: `${ctx.baseUrl}/${family.status}/${p.job}` };
  if (p.file !== undefined) ref.file = { name: p.file, url: `${ctx.baseUrl}/${family.file}/${p.job}/${p.file}` };
  if (req.trace) req.trace.exportJob = ref;
  const job = await deps.state().jobs.get(p.job);
  const what = family === EXPORT_FAMILY ? 'export job' : 'job';
  if (!job || job.status === 'cancelled' || familyOf(job) !== family) throw notFound(`No ${what} ${p.job} (it may have been cancelled or expired)`);
  if (family === JOB_FAMILY) ref.kind = kindOf(job);
  const shared = deps.state().kinds.get(kindOf(job))?.sharedWith?.(ctx.repo.policy, job) ?? false;
  if (!mayAccess(job, ctx.repo.policy) && !shared) throw forbidden('Only the client, user and patient context that started this job may see it');
  if (job.owner.context === 'patient') for (const id of job.owner.patients ?? []) req.trace?.patients.add(id);
  return job;
}

function progress(job: Job, kind: JobKind | undefined): string {
  if (job.status === 'queued') return 'queued';
  return kind?.progress ? kind.progress(job) : `in progress: ${job.processed ?? 0} processed`;
}

async function poll(ctx: RouterContext, req: FhirRequest, deps: StatusRouteDeps, family: Family, p: RouteParams): Promise<FhirResult> {
  const job = await ownJob(ctx, req, deps, family, p);
  const { kinds, retryAfterSeconds } = deps.state();
  if (job.status === 'queued' || job.status === 'running') {
    return { status: 202, headers: { 'X-Progress': progress(job, kinds.get(kindOf(job))), 'Retry-After': String(retryAfterSeconds) } };
  }
  if (job.status === 'failed') throw new OperationOutcomeError('internal', [issue('exception', `Job ${job._id} failed; the server log has the cause`)]);
  return {
    status: 200,
    headers: { Expires: job.expiresAt.toUTCString() },
    body: { json: JSON.stringify(manifest(job, ctx.baseUrl, deps.requiresAccessToken())) },
    contentType: 'application/json',
  };
}

async function cancel(ctx: RouterContext, req: FhirRequest, deps: StatusRouteDeps, family: Family, p: RouteParams): Promise<FhirResult> {
  const job = await ownJob(ctx, req, deps, family, p);
  const { jobs, files } = deps.state();
  const before = await jobs.cancel(job._id);
  // A running job's worker notices at its next lease renewal or checkpoint and removes its files; otherwise now.
  if (before && before.status !== 'running') {
    await files.remove(job._id);
    await jobs.remove(job._id);
  }
  return { status: 202, body: outcome([issue('informational', `Job ${job._id} cancelled; its files are removed`, undefined, 'information')]) };
}

async function download(ctx: RouterContext, req: FhirRequest, deps: StatusRouteDeps, family: Family, p: RouteParams): Promise<FhirResult> {
  const job = await ownJob(ctx, req, deps, family, p);
  const file = job.status === 'completed' ? job.checkpoint.files.find((f) => f.name === p.file) : undefined;
  if (!file) throw notFound(`Job ${job._id} has no file ${p.file}`);
  if (req.trace?.exportJob?.file) req.trace.exportJob.file.type = file.type;
  const kind = deps.state().kinds.get(kindOf(job));
  if (kind?.mayDownload && !kind.mayDownload(ctx.repo.policy, job, file)) {
    throw forbidden(`The access token does not allow reading what this file holds of ${file.type}`);
  }
  const stored = await deps.state().files.open(job._id, p.file);
  if (!stored) throw notFound(`The file ${p.file} of job ${job._id} has expired`);
  // A client resumes a broken download with a Range; the files never change while they can be downloaded.
  const range = requestedRange(req.headers, stored.size);
  const headers = { 'Accept-Ranges': 'bytes', ...(range ? partialContentHeaders(range, stored.size) : { 'Content-Length': String(stored.size) }) };
  return { status: range ? 206 : 200, headers, body: { stream: stored.read(range) }, contentType: 'application/fhir+ndjson' };
}

/**
 * What follows an asynchronous kick-off: status (poll), cancel and file download, for exports and every other job
 * kind, authenticated and audited like every route, over HTTP only (not as bundle entries).
 */
export function jobStatusRoutes(deps: StatusRouteDeps): Route[] {
  return [EXPORT_FAMILY, JOB_FAMILY].flatMap((family): Route[] => {
    const common = { httpOnly: true } as const;
    const { poll: pollAs, cancel: cancelAs, download: downloadAs } = family.interactions;
    return [
      { ...common, methods: ['GET'], path: `${family.status}/{job}`, interaction: pollAs, handler: (ctx, req, p) => poll(ctx, req, deps, family, p) },
      { ...common, methods: ['DELETE'], path: `${family.status}/{job}`, interaction: cancelAs, handler: (ctx, req, p) => cancel(ctx, req, deps, family, p) },
      { ...common, methods: ['GET'], path: `${family.file}/{job}/{file}`, interaction: downloadAs, handler: (ctx, req, p) => download(ctx, req, deps, family, p) },
    ];
  });
}
