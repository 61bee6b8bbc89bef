import type { OperationOutcome } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { issue } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';
import type { HistoryDocument, StoredDocument } from '../store/stored-document';
import { exportLines } from './export-source';
import type { JobFileStore } from '../jobs/file-store';
import type { JobFile } from '../jobs/job';
import { NdjsonFileWriter } from '../jobs/ndjson-writer';
import type { Checkpoint, ExportJob, ExportPlan } from './export-job';

/** Compiles one search query of a type to a filter on stored documents (the search layer's compiler). */
export type FilterCompiler = (repo: Repository, type: string, query: Array<[string, string]>) => Promise<Filter<StoredDocument>>;

/** Completes an output line of `type` whose stored text leaves something out (src/binary: a Binary's bytes). */
export type LineExpander = (type: string, text: string | Buffer) => Promise<string | Buffer>;

export interface RunContext {
  repo: Repository;
  expandLine?: LineExpander;
  files: JobFileStore;
  maxLines: number;
  compileFilter?: FilterCompiler;
  signal: AbortSignal;
  /** Stores progress; throws JobAborted when the job is no longer this worker's. */
  checkpoint(cp: Checkpoint, processed: number): Promise<void>;
}

const ANY_PATIENT: Filter<StoredDocument> = { 'c.0': { $exists: true } };

async function anyOf(ctx: Pick<RunContext, 'repo' | 'compileFilter'>, type: string, queries: string[] | undefined): Promise<Filter<StoredDocument> | undefined> {
  if (!queries?.length) return undefined;
  if (!ctx.compileFilter) throw new Error(`search filters for ${type} cannot be applied: no search compiler is configured`);
  const filters = await Promise.all(queries.map((q) => ctx.compileFilter!(ctx.repo, type, [...new URLSearchParams(q)])));
  return filters.length === 1 ? filters[0] : { $or: filters };
}

/** The search filter (type filters AND granular-scope restrictions AND the all-patients bound) for a type. */
export async function typeFilter(ctx: Pick<RunContext, 'repo' | 'compileFilter'>, plan: ExportPlan, type: string): Promise<Filter<StoredDocument> | undefined> {
  const parts = [await anyOf(ctx, type, plan.typeFilters[type]), await anyOf(ctx, type, plan.restrictions[type])];
  if (plan.anyPatient) parts.push(ANY_PATIENT);
  const present = parts.filter((p): p is Filter<StoredDocument> => p !== undefined);
  return present.length === 0 ? undefined : present.length === 1 ? present[0] : { $and: present };
}

/** `_elements` that apply to a type: unprefixed names, and `Type.name` for this type. None apply: whole resource. */
function elementsFor(plan: ExportPlan, type: string): string[] | undefined {
  const names = (plan.elements ?? []).filter((e) => !e.includes('.') || e.startsWith(`${type}.`)).map((e) => e.split('.').pop() as string);
  return names.length ? names : undefined;
}

function nextSeq(files: JobFile[], type: string, kind: JobFile['kind']): number {
  return files.filter((f) => f.kind === kind && f.name.startsWith(kind === 'output' ? `${type}-` : `${type}.${kind}-`)).length + 1;
}

/**
 * Runs (or resumes) one export job: every type in turn, its lines streamed from the store into NDJSON files.
 * Progress is checkpointed each time a file is complete, so a resumed job redoes at most one file per kind.
 */
export async function runExport(job: ExportJob, ctx: RunContext): Promise<{ checkpoint: Checkpoint; processed: number }> {
  const { plan } = job;
  const files = [...job.checkpoint.files];
  let exported = job.processed ?? 0;
  // Files written after the last checkpoint (a crash, a lost lease) are incomplete: start them again.
  const kept = new Set(files.map((f) => f.name));
  await ctx.files.remove(
    job._id,
    (await ctx.files.list(job._id)).filter((n) => !kept.has(n)),
  );

  const historyBound: Filter<HistoryDocument> | undefined = plan.anyPatient ? (ANY_PATIENT as Filter<HistoryDocument>) : undefined;
  for (let ti = job.checkpoint.typeIndex; ti < plan.types.length; ti++) {
    const type = plan.types[ti];
    const output = new NdjsonFileWriter(ctx.files, job._id, type, 'output', ctx.maxLines, nextSeq(files, type, 'output'));
    const deleted = new NdjsonFileWriter(ctx.files, job._id, type, 'deleted', ctx.maxLines, nextSeq(files, type, 'deleted'));
    const commit = async (typeIndex: number, afterId?: string) => {
      for (const w of [output, deleted]) {
        const file = await w.close();
        if (file) files.push(file);
      }
      await ctx.checkpoint({ typeIndex, afterId, files: [...files] }, exported);
    };
    try {
      const lines = exportLines(ctx.repo, type, {
        since: plan.since,
        until: plan.until,
        afterId: ti === job.checkpoint.typeIndex ? job.checkpoint.afterId : undefined,
        filter: await typeFilter(ctx, plan, type),
        historyFilter: historyBound,
        elements: elementsFor(plan, type),
        expand: ctx.expandLine && ((text) => ctx.expandLine!(type, text)),
      });
      for await (const line of lines) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        const writer = line.kind === 'output' ? output : deleted;
        await writer.write(line.text);
        if (line.kind === 'output') exported++;
        if (writer.full) await commit(ti, line.id);
      }
      await commit(ti + 1);
    } catch (err) {
      await output.abort();
      await deleted.abort();
      throw err;
    }
  }

  if (plan.warnings.length && !files.some((f) => f.kind === 'error')) {
    const errors = new NdjsonFileWriter(ctx.files, job._id, 'OperationOutcome', 'error', Number.MAX_SAFE_INTEGER, 1);
    for (const warning of plan.warnings) {
      const { code, message } = typeof warning === 'string' ? { code: 'not-supported' as const, message: warning } : warning;
      const oo: OperationOutcome = { resourceType: 'OperationOutcome', issue: [issue(code, message, undefined, 'warning')] };
      await errors.write(JSON.stringify(oo));
    }
    files.push((await errors.close()) as JobFile);
  }
  return { checkpoint: { typeIndex: plan.types.length, files }, processed: exported };
}
