import type express from 'express';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { AccessPolicy } from '../auth/access-policy';
import { OperationOutcomeError, forbidden, issue, notFound, outcome } from '../errors/operation-outcome-error';
import { send } from '../http/app';
import { errorResponse } from '../http/errors';
import type { ExportFileStore } from './file-store';
import type { ExportFile, ExportJob, JobStore } from './job-store';

export interface StatusRouteDeps {
  baseUrl: string;
  /** Resolved at request time: the store is connected after routes are mounted. */
  state(): { jobs: JobStore; files: ExportFileStore; retryAfterSeconds: number };
  authenticate(authorization: string | undefined): Promise<AccessPolicy>;
  logger: Logger;
}

export const fileUrl = (baseUrl: string, jobId: string, name: string) => `${baseUrl}/$export-file/${jobId}/${name}`;

/**
 * The rule for status, cancel and download: the client that kicked the export off (same `client_id`, or the
 * same user when the token had no client id); anyone when the job was started with auth off.
 */
export function mayAccess(job: ExportJob, policy: AccessPolicy): boolean {
  if (job.owner.open || policy.unrestricted) return true;
  if (job.owner.clientId !== undefined) return policy.clientId === job.owner.clientId;
  return job.owner.user !== undefined && policy.user === job.owner.user;
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

/** Status (poll), cancel and file download: Express routes under the FHIR mount, authenticated like FHIR routes. */
export function mountStatusRoutes(app: express.Express, mountPath: string, deps: StatusRouteDeps): void {
  const guarded = (fn: (req: Request, res: Response, policy: AccessPolicy) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      const policy = await deps.authenticate(req.headers.authorization);
      await fn(req, res, policy);
    } catch (err) {
      if (res.headersSent) {
        deps.logger.error({ err }, 'bulk export download failed mid-stream');
        res.destroy();
        return;
      }
      const r = errorResponse(err, deps.logger);
      send(res, req, r.status, r.headers, r.body);
    }
  };
  const ownJob = async (req: Request, policy: AccessPolicy): Promise<ExportJob> => {
    const id = String(req.params.job);
    const job = await deps.state().jobs.get(id);
    if (!job || job.status === 'cancelled') throw notFound(`No export job ${id} (it may have been cancelled or expired)`);
    if (!mayAccess(job, policy)) throw forbidden('Only the client that started this export may see it');
    return job;
  };

  app.get(`${mountPath}/$export-status/:job`, guarded(async (req, res, policy) => {
    const job = await ownJob(req, policy);
    if (job.status === 'queued' || job.status === 'running') {
      send(res, req, 202, { 'X-Progress': progress(job), 'Retry-After': String(deps.state().retryAfterSeconds) }, undefined);
    } else if (job.status === 'failed') {
      throw new OperationOutcomeError(500, [issue('exception', `Export ${job._id} failed; the server log has the cause`)]);
    } else {
      send(res, req, 200, { Expires: job.expiresAt.toUTCString() }, manifest(job, deps.baseUrl) as never, 'application/json');
    }
  }));

  app.delete(`${mountPath}/$export-status/:job`, guarded(async (req, res, policy) => {
    const job = await ownJob(req, policy);
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

  app.get(`${mountPath}/$export-file/:job/:file`, guarded(async (req, res, policy) => {
    const job = await ownJob(req, policy);
    const name = String(req.params.file);
    const file = job.status === 'completed' ? job.checkpoint.files.find((f) => f.name === name) : undefined;
    if (!file) throw notFound(`Export ${job._id} has no file ${name}`);
    if (file.kind === 'output' && !policy.allows(file.type, 'read')) throw forbidden(`The access token does not allow read on ${file.type}`);
    const stream = await deps.state().files.open(job._id, name);
    if (!stream) throw notFound(`The file ${name} of export ${job._id} has expired`);
    res.status(200);
    res.setHeader('Content-Type', 'application/fhir+ndjson');
    await pipeline(stream, res);
  }));
}
