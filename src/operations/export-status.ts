import type { ExportJobRef } from '../audit';
import { OperationOutcomeError, forbidden, issue, notFound, outcome } from '../errors/operation-outcome-error';
import { mayAccess } from '../bulk/access-context';
import { mayDownload } from '../bulk/authorization';
import type { ExportFileStore } from '../bulk/file-store';
import { partialContentHeaders, requestedRange } from '../http/byte-range';
import { statusUrl } from '../bulk/kickoff';
import type { ExportFile, ExportJob, JobStore } from '../bulk/job-store';
import type { RouterContext } from '../router/context';
import type { Route, RouteParams } from '../router/route';
import type { FhirRequest, FhirResult } from '../router/types';

export interface StatusRouteDeps {
  /** Resolved at request time: the store is connected after the route table is built. */
  state(): { jobs: JobStore; files: ExportFileStore; retryAfterSeconds: number };
  /** Whether a file download needs the client's token (authorization is configured), as the manifest says. */
  requiresAccessToken(): boolean;
}

export const fileUrl = (baseUrl: string, jobId: string, name: string) => `${baseUrl}/$export-file/${jobId}/${name}`;

export function manifest(job: ExportJob, baseUrl: string, requiresAccessToken: boolean) {
  const entries = (kind: ExportFile['kind']) =>
    job.checkpoint.files.filter((f) => f.kind === kind).map((f) => ({ type: f.type, url: fileUrl(baseUrl, job._id, f.name), count: f.count }));
  return {
    transactionTime: job.transactionTime.toISOString(),
    request: job.request,
    requiresAccessToken,
    output: entries('output'),
    deleted: entries('deleted'),
    error: entries('error'),
  };
}

function progress(job: ExportJob): string {
  if (job.status === 'queued') return 'queued';
  const types = job.plan.types.length;
  return `in progress: ${job.exported} resources, type ${Math.min(job.checkpoint.typeIndex + 1, types)} of ${types}`;
}

/**
 * The job a status, cancel or download request names, if the caller shares its access context. Its AuditEvent
 * names the job (and file) asked for in any case, and the job's patients once access is granted, so the event is
 * in their compartments.
 */
async function ownJob(ctx: RouterContext, req: FhirRequest, deps: StatusRouteDeps, p: RouteParams): Promise<ExportJob> {
  const ref: ExportJobRef = { id: p.job, url: statusUrl(ctx.baseUrl, p.job) };
  if (p.file !== undefined) ref.file = { name: p.file, url: fileUrl(ctx.baseUrl, p.job, p.file) };
  if (req.trace) req.trace.exportJob = ref;
  const job = await deps.state().jobs.get(p.job);
  if (!job || job.status === 'cancelled') throw notFound(`No export job ${p.job} (it may have been cancelled or expired)`);
  if (!mayAccess(job, ctx.repo.policy)) throw forbidden('Only the client, user and patient context that started this export may see it');
  if (job.owner.context === 'patient') for (const id of job.owner.patients ?? []) req.trace?.patients.add(id);
  return job;
}

async function poll(ctx: RouterContext, req: FhirRequest, deps: StatusRouteDeps, p: RouteParams): Promise<FhirResult> {
  const job = await ownJob(ctx, req, deps, p);
  if (job.status === 'queued' || job.status === 'running') {
    return { status: 202, headers: { 'X-Progress': progress(job), 'Retry-After': String(deps.state().retryAfterSeconds) } };
  }
  if (job.status === 'failed') throw new OperationOutcomeError('internal', [issue('exception', `Export ${job._id} failed; the server log has the cause`)]);
  return {
    status: 200,
    headers: { Expires: job.expiresAt.toUTCString() },
    body: { json: JSON.stringify(manifest(job, ctx.baseUrl, deps.requiresAccessToken())) },
    contentType: 'application/json',
  };
}

async function cancel(ctx: RouterContext, req: FhirRequest, deps: StatusRouteDeps, p: RouteParams): Promise<FhirResult> {
  const job = await ownJob(ctx, req, deps, p);
  const { jobs, files } = deps.state();
  const before = await jobs.cancel(job._id);
  // A running job's worker notices at its next lease renewal or checkpoint and removes its files; otherwise now.
  if (before && before.status !== 'running') {
    await files.remove(job._id);
    await jobs.remove(job._id);
  }
  return { status: 202, body: outcome([issue('informational', `Export ${job._id} cancelled; its files are removed`, undefined, 'information')]) };
}

async function download(ctx: RouterContext, req: FhirRequest, deps: StatusRouteDeps, p: RouteParams): Promise<FhirResult> {
  const job = await ownJob(ctx, req, deps, p);
  const file = job.status === 'completed' ? job.checkpoint.files.find((f) => f.name === p.file) : undefined;
  if (!file) throw notFound(`Export ${job._id} has no file ${p.file}`);
  if (req.trace?.exportJob?.file) req.trace.exportJob.file.type = file.type;
  if (file.kind !== 'error' && !mayDownload(ctx.repo.policy, job.plan, file.type)) {
    throw forbidden(`The access token does not allow reading what this export holds of ${file.type}`);
  }
  const stored = await deps.state().files.open(job._id, p.file);
  if (!stored) throw notFound(`The file ${p.file} of export ${job._id} has expired`);
  // A client resumes a broken download with a Range; the files never change while they can be downloaded.
  const range = requestedRange(req.headers, stored.size);
  const headers = { 'Accept-Ranges': 'bytes', ...(range ? partialContentHeaders(range, stored.size) : { 'Content-Length': String(stored.size) }) };
  return { status: range ? 206 : 200, headers, body: { stream: stored.read(range) }, contentType: 'application/fhir+ndjson' };
}

/**
 * What follows a `$export` kick-off: status (poll), cancel and file download, authenticated and audited like every
 * route, over HTTP only (not as bundle entries).
 */
export function exportStatusRoutes(deps: StatusRouteDeps): Route[] {
  const common = { httpOnly: true } as const;
  return [
    { ...common, methods: ['GET'], path: '$export-status/{job}', interaction: 'export-status', handler: (ctx, req, p) => poll(ctx, req, deps, p) },
    { ...common, methods: ['DELETE'], path: '$export-status/{job}', interaction: 'export-cancel', handler: (ctx, req, p) => cancel(ctx, req, deps, p) },
    { ...common, methods: ['GET'], path: '$export-file/{job}/{file}', interaction: 'export-file', handler: (ctx, req, p) => download(ctx, req, deps, p) },
  ];
}
