import type express from 'express';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { AuditInput, ExportJobRef } from '../audit';
import type { AccessPolicy } from '../auth/access-policy';
import { OperationOutcomeError, forbidden, issue, notFound, outcome } from '../errors/operation-outcome-error';
import { send } from '../http/app';
import { errorResponse } from '../http/errors';
import { mayAccess } from './access-context';
import { mayDownload } from './authorization';
import type { ExportFileStore } from './file-store';
import { statusUrl } from './kickoff';
import type { ExportFile, ExportJob, JobStore } from './job-store';

export interface StatusRouteDeps {
  baseUrl: string;
  /** Resolved at request time: the store is connected after routes are mounted. */
  state(): { jobs: JobStore; files: ExportFileStore; retryAfterSeconds: number };
  authenticate(authorization: string | undefined, remoteAddress?: string): Promise<AccessPolicy>;
  /** Records each request in the audit trail (the FHIR router's requests are recorded by the HTTP adapter). */
  audit?(input: AuditInput): void;
  logger: Logger;
}

export const fileUrl = (baseUrl: string, jobId: string, name: string) => `${baseUrl}/$export-file/${jobId}/${name}`;

type Release = 'export-status' | 'export-file' | 'export-cancel';

/** What one status, download or cancel request established, for its AuditEvent. */
interface Attempt {
  policy?: AccessPolicy;
  /** Set once the caller is known to share the job's access context. */
  job?: ExportJob;
  file?: ExportFile;
}

/**
 * The AuditEvent input of one request: like the router's (src/http/audit-input.ts), a 401 keeps only the path as
 * text; otherwise the client, the job (and file) asked for, and, once access was granted to a patient-bound job,
 * its patient, so the event is in that patient's compartment.
 */
function auditInput(kind: Release, req: Request, attempt: Attempt, at: { baseUrl: string; mountPath: string }, status: number, error?: string): AuditInput {
  const common = { status, outcomeDescription: error, remoteAddress: req.socket.remoteAddress };
  if (!attempt.policy) return { ...common, interaction: 'authenticate', path: req.path.slice(at.mountPath.length + 1) };
  const jobId = String(req.params.job);
  const name = req.params.file === undefined ? undefined : String(req.params.file);
  const exportJob: ExportJobRef = { id: jobId, url: statusUrl(at.baseUrl, jobId) };
  if (name !== undefined) exportJob.file = { name, url: fileUrl(at.baseUrl, jobId, name), type: attempt.file?.type };
  const patientIds = attempt.job?.owner.context === 'patient' ? attempt.job.owner.patients : undefined;
  return { ...common, interaction: kind, policy: attempt.policy, exportJob, patientIds };
}

export function manifest(job: ExportJob, baseUrl: string) {
  const entries = (kind: ExportFile['kind']) =>
    job.checkpoint.files.filter((f) => f.kind === kind).map((f) => ({ type: f.type, url: fileUrl(baseUrl, job._id, f.name), count: f.count }));
  return {
    transactionTime: job.transactionTime.toISOString(),
    request: job.request,
    requiresAccessToken: true,
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
 * Status (poll), cancel and file download: Express routes under the FHIR mount, authenticated like FHIR routes,
 * and each recorded in the audit trail, allowed or refused.
 */
export function mountStatusRoutes(app: express.Express, mountPath: string, deps: StatusRouteDeps): void {
  const guarded = (kind: Release, fn: (req: Request, res: Response, attempt: Attempt & { policy: AccessPolicy }) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const attempt: Attempt = {};
      let status = 500;
      let error: string | undefined;
      try {
        attempt.policy = await deps.authenticate(req.headers.authorization, req.socket.remoteAddress);
        await fn(req, res, attempt as Attempt & { policy: AccessPolicy });
        status = res.statusCode;
      } catch (err) {
        if (res.headersSent) {
          deps.logger.error({ err }, 'bulk export download failed mid-stream');
          error = 'the download failed after it started';
          res.destroy();
        } else {
          const r = errorResponse(err, deps.logger);
          status = r.status;
          error = r.body.issue.map((i) => i.diagnostics).join('; ');
          send(res, req, r.status, r.headers, r.body);
        }
      } finally {
        deps.audit?.(auditInput(kind, req, attempt, { baseUrl: deps.baseUrl, mountPath }, status, error));
      }
    };
  const ownJob = async (req: Request, attempt: Attempt & { policy: AccessPolicy }): Promise<ExportJob> => {
    const id = String(req.params.job);
    const job = await deps.state().jobs.get(id);
    if (!job || job.status === 'cancelled') throw notFound(`No export job ${id} (it may have been cancelled or expired)`);
    if (!mayAccess(job, attempt.policy)) throw forbidden('Only the client, user and patient context that started this export may see it');
    attempt.job = job;
    return job;
  };

  app.get(`${mountPath}/$export-status/:job`, guarded('export-status', async (req, res, attempt) => {
    const job = await ownJob(req, attempt);
    if (job.status === 'queued' || job.status === 'running') {
      send(res, req, 202, { 'X-Progress': progress(job), 'Retry-After': String(deps.state().retryAfterSeconds) }, undefined);
    } else if (job.status === 'failed') {
      throw new OperationOutcomeError('internal', [issue('exception', `Export ${job._id} failed; the server log has the cause`)]);
    } else {
      send(res, req, 200, { Expires: job.expiresAt.toUTCString() }, manifest(job, deps.baseUrl) as never, 'application/json');
    }
  }));

  app.delete(`${mountPath}/$export-status/:job`, guarded('export-cancel', async (req, res, attempt) => {
    const job = await ownJob(req, attempt);
    const { jobs, files } = deps.state();
    const before = await jobs.cancel(job._id);
    // A running job's worker notices at its next lease renewal and removes its own files; otherwise remove now.
    if (before && before.status !== 'running') {
      await files.remove(job._id);
      await jobs.remove(job._id);
    }
    const body = outcome([issue('informational', `Export ${job._id} cancelled; its files are removed`, undefined, 'information')]);
    send(res, req, 202, {}, body);
  }));

  app.get(`${mountPath}/$export-file/:job/:file`, guarded('export-file', async (req, res, attempt) => {
    const job = await ownJob(req, attempt);
    const name = String(req.params.file);
    const file = job.status === 'completed' ? job.checkpoint.files.find((f) => f.name === name) : undefined;
    if (!file) throw notFound(`Export ${job._id} has no file ${name}`);
    attempt.file = file;
    if (file.kind !== 'error' && !mayDownload(attempt.policy, job.plan, file.type)) {
      throw forbidden(`The access token does not allow reading what this export holds of ${file.type}`);
    }
    const stream = await deps.state().files.open(job._id, name);
    if (!stream) throw notFound(`The file ${name} of export ${job._id} has expired`);
    res.status(200);
    res.setHeader('Content-Type', 'application/fhir+ndjson');
    await pipeline(stream, res);
  }));
}
