import { badRequest, forbidden, isOperationOutcomeError, issue, notFound, outcome } from '../errors/operation-outcome-error';
import type { OperationHandler } from '../operations/operation';
import type { RouterContext } from '../router/context';
import { preferHandling } from '../router/respond';
import { ownerOf } from '../jobs/access-context';
import { requestUrl, type JobServices } from '../jobs';
import { EXPORT_KIND } from '../jobs/job';
import { jobStatusUrl } from '../operations/job-status';
import { selectTypes } from './authorization';
import { resolveCohort } from './cohort';
import type { BulkConfig } from './config';
import type { ExportJob, ExportPlan, ExportWarning } from './export-job';
import { parseExportParameters, rawParameters, type ExportLevel } from './parameters';
import type { FilterCompiler } from './run-export';
import { randomUUID } from 'node:crypto';

export interface KickoffDeps {
  config: BulkConfig;
  jobs: JobServices;
  compileFilter?: FilterCompiler;
}

export const statusUrl = (baseUrl: string, jobId: string) => jobStatusUrl(baseUrl, { _id: jobId, kind: EXPORT_KIND });

function levelOf(target: { type?: string; id?: string }): ExportLevel {
  if (!target.type) return 'system';
  if (target.type === 'Patient' && !target.id) return 'patient';
  if (target.type === 'Group' && target.id) return 'group';
  throw notFound(`$export is available at the base, on Patient and on Group/[id], not on ${target.type}${target.id ? '/[id]' : ''}`);
}

/**
 * The IG: the kick-off's `Accept` gives the format of its OperationOutcome, and only `application/fhir+json` is
 * supported; without it a server may refuse (the SMART reference server does) or go on as if it had been sent.
 */
function acceptsFhirJson(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((type) => type.split(';')[0].trim().toLowerCase() === 'application/fhir+json');
}

/** Compiles every query once at kick-off, so an invalid one is a 400 now rather than a failed job later. */
async function checkFilters(ctx: RouterContext, deps: KickoffDeps, filters: Record<string, string[]>): Promise<void> {
  for (const [type, queries] of Object.entries(filters)) {
    for (const q of queries) await deps.compileFilter!(ctx.repo, type, [...new URLSearchParams(q)]);
  }
}

/**
 * The `_typeFilter` queries the export applies, each compiled once (checkFilters). Under lenient handling a type
 * with a query that cannot be applied keeps none of its queries, with a warning: the IG lets a server ignore what
 * it cannot filter by, and a client must then expect more than it asked for; dropping only that one of several OR-ed
 * queries would export less.
 */
async function applicableTypeFilters(
  ctx: RouterContext,
  deps: KickoffDeps,
  filters: Record<string, string[]>,
  lenient: boolean,
  warnings: ExportWarning[],
): Promise<Record<string, string[]>> {
  if (!lenient) {
    await checkFilters(ctx, deps, filters);
    return filters;
  }
  const kept: Record<string, string[]> = {};
  for (const [type, queries] of Object.entries(filters)) {
    try {
      await checkFilters(ctx, deps, { [type]: queries });
      kept[type] = queries;
    } catch (err) {
      if (!isOperationOutcomeError(err) || err.category !== 'invalid') throw err;
      warnings.push(`${err.message}; no _typeFilter is applied to ${type}: every ${type} is exported`);
    }
  }
  return kept;
}

/** `$export` kick-off (Bulk Data Access 2.0) at system, Patient and Group/[id] level: validates, queues a job, 202. */
export function exportKickoff(deps: KickoffDeps): OperationHandler {
  return async (ctx, req, target) => {
    const level = levelOf(target);
    if (!/(?:^|[;,\s])respond-async\b/.test(req.headers['prefer'] ?? '')) {
      throw badRequest('$export is asynchronous: send the header Prefer: respond-async');
    }
    const lenient = preferHandling(req) === 'lenient';
    const params = parseExportParameters(rawParameters(req), { level, method: req.method, lenient });
    const warnings: ExportWarning[] = [...params.warnings];
    if (!acceptsFhirJson(req.headers['accept'])) {
      const message = '$export answers in FHIR JSON: send the header Accept: application/fhir+json';
      // Lenient: the IG's other choice, processed as if it had been sent, and the manifest's error file says so.
      if (!lenient) throw badRequest(message);
      warnings.push(`${message} (the export went on as if it had been sent)`);
    }
    const owner = ownerOf(req.policy);
    const selection = selectTypes(req.policy, level, params.types, { isServed: ctx.isServedType, all: ctx.servedTypes }, lenient);
    warnings.push(...selection.warnings);

    let typeFilters: Record<string, string[]> = {};
    for (const [type, queries] of params.typeFilters) {
      // A type `_type` names (parseExportParameters requires it) but the selection left out is reported already.
      if (params.types && !selection.types.includes(type)) continue;
      const message = !selection.types.includes(type)
        ? `_typeFilter for ${type} is ignored: ${type} is not exported`
        : !deps.compileFilter
          ? '_typeFilter is not supported: no search compiler is configured'
          : undefined;
      if (message && !lenient) throw badRequest(message, '_typeFilter');
      if (message) warnings.push(message);
      else typeFilters[type] = queries.map((q) => new URLSearchParams(q).toString());
    }
    const restricted = Object.keys(selection.restrictions);
    if (restricted.length && !deps.compileFilter) {
      // Granular scopes cannot be enforced without the compiler: never export more than the token allows.
      throw forbidden(`The access token restricts ${restricted.join(', ')} by search, which this export cannot apply`);
    }
    if (deps.compileFilter) {
      typeFilters = await applicableTypeFilters(ctx, deps, typeFilters, lenient, warnings);
      // Granular scopes bound what the token may read: never dropped, whatever the client prefers.
      await checkFilters(ctx, deps, selection.restrictions);
    }

    const patients = await resolveCohort(ctx.repo, ctx.baseUrl, level, target, params.patients, lenient, warnings);
    const now = new Date();
    const until = params.until && params.until < now ? params.until : now;
    const plan: ExportPlan = {
      level,
      groupId: level === 'group' ? target.id : undefined,
      types: selection.types,
      patients,
      anyPatient: level !== 'system' && patients === undefined,
      since: params.since,
      until,
      elements: params.elements,
      typeFilters,
      restrictions: selection.restrictions,
      warnings,
    };
    const job = await deps.jobs.store().insert<ExportJob>({
      _id: randomUUID(),
      kind: EXPORT_KIND,
      request: requestUrl(ctx, req),
      transactionTime: until,
      createdAt: now,
      expiresAt: new Date(now.getTime() + deps.config.ttlMs),
      owner,
      plan,
      checkpoint: { typeIndex: 0, files: [] },
    });
    // The kick-off's AuditEvent names the patient whose record a patient-bound token exports (its compartment
    // holds the event); a Group's members and `patient` ids are named already, as they were read.
    for (const id of owner.patients ?? []) req.trace?.add('Patient', id, undefined);
    if (req.trace) req.trace.exportJob = { id: job._id, url: statusUrl(ctx.baseUrl, job._id) };
    deps.jobs.nudge();
    const info = outcome([issue('informational', `Export ${job._id} accepted; poll the Content-Location URL`, undefined, 'information')]);
    return { status: 202, headers: { 'Content-Location': statusUrl(ctx.baseUrl, job._id) }, body: info };
  };
}
