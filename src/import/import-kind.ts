import type { OperationOutcome, Resource } from 'fhir/r4';
import type { Collection } from 'mongodb';
import { issue } from '../errors/operation-outcome-error';
import { simpleKind, type SimpleJobContext } from '../jobs';
import { loadRank } from '../loader/inputs';
import { readNdjsonBatches } from '../loader/ndjson';
import { importBatch, type BatchDeps, type ImportLine, type LineOutcome } from './import-batch';
import type { ImportInput } from './parameters';
import { checkSource, openSource, SourceError, type ImportSourceConfig } from './sources';

export const IMPORT_KIND = 'import';

/** Lines validated and stored per transaction, and per checkpoint. */
const BATCH = 500;

/** What `$import` fixes at kick-off. */
export interface ImportParams {
  inputSource?: string;
  inputs: ImportInput[];
  /** The server's base URL then: absolute references to it are stored relative, as on any write. */
  baseUrl: string;
}

interface Counts {
  stored: number;
  failed: number;
}

/** Where an import is: the input and line read up to, or the pass over deferred lines. */
export interface ImportState {
  phase: 'load' | 'deferred';
  input: number;
  line: number;
  /** Deferred phase: the last deferred line tried in this pass, and whether the pass stored any. */
  after?: string;
  progressed?: boolean;
  counts: Counts[];
}

/** Lines that referred to what was not stored yet, kept in the store (not memory) until the import ends. */
interface DeferredLine {
  _id: string;
  job: string;
  input: number;
  line: number;
  source: string;
  text: string;
  reason: string;
}

export const DEFERRED_COLLECTION = 'import_deferred';

/** Inputs in the order the types others refer to come first (the loader's order), each with its index. */
function ordered(inputs: ImportInput[]): Array<ImportInput & { index: number }> {
  return inputs.map((input, index) => ({ ...input, index })).sort((a, b) => loadRank(`${a.type}.ndjson`) - loadRank(`${b.type}.ndjson`) || a.index - b.index);
}

const failure = (source: string, line: number | undefined, message: string): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [issue('processing', `${source}${line !== undefined ? ` line ${line}` : ''}: ${message}`)],
});

async function record(ctx: SimpleJobContext<ImportState>, deferred: Collection<DeferredLine>, jobId: string, input: number, state: ImportState, outcomes: LineOutcome[]) {
  for (const o of outcomes) {
    if (o.kind === 'stored') state.counts[input].stored++;
    else if (o.kind === 'failed') {
      state.counts[input].failed++;
      await ctx.write('OperationOutcome', failure(o.line.source, o.line.line, o.reason), 'error');
    } else {
      const doc: DeferredLine = {
        _id: `${jobId}/${input}/${o.line.line}`,
        job: jobId,
        input,
        line: o.line.line,
        source: o.line.source,
        text: JSON.stringify(o.line.resource),
        reason: o.reason,
      };
      await deferred.replaceOne({ _id: doc._id }, doc, { upsert: true });
    }
  }
}

const total = (state: ImportState) => state.counts.reduce((n, c) => n + c.stored, 0);

/**
 * `$import` as a job kind: each input file streamed line by line (memory flat in the file size), validated like any
 * write and stored with its own id, 500 lines per transaction and per checkpoint; lines referring to what is not
 * stored yet are kept aside and tried again, pass after pass, once every file is read; what still does not resolve
 * is reported, never stored with a dangling reference.
 */
export function importKind(deps: Omit<BatchDeps, 'baseUrl'> & { sources: ImportSourceConfig }) {
  return simpleKind<ImportParams, ImportState>({
    kind: IMPORT_KIND,
    progress: (job) => {
      const s = job.checkpoint.state;
      if (!s) return 'starting';
      const where = s.phase === 'load' ? `file ${s.input + 1} of ${job.plan.params.inputs.length}` : 'resolving references between files';
      return `in progress: ${job.processed ?? 0} resources imported, ${where}`;
    },
    async run(job, ctx) {
      const { inputs, baseUrl } = job.plan.params;
      const batchDeps: BatchDeps = { ...deps, baseUrl };
      const deferred = ctx.repo.db.collection<DeferredLine>(DEFERRED_COLLECTION);
      await deferred.createIndex({ job: 1, _id: 1 });
      const order = ordered(inputs);
      const state: ImportState = ctx.state ?? { phase: 'load', input: order[0].index, line: 0, counts: inputs.map(() => ({ stored: 0, failed: 0 })) };

      if (state.phase === 'load') {
        for (let pos = order.findIndex((i) => i.index === state.input); pos >= 0 && pos < order.length; pos++) {
          const input = order[pos];
          const from = state.input === input.index ? state.line : 0;
          state.input = input.index;
          state.line = from;
          let stream;
          try {
            // The rule is checked again now: the configuration may have changed since the kick-off.
            stream = await openSource(deps.sources, checkSource(deps.sources, input.url), ctx.signal);
          } catch (err) {
            if (ctx.signal.aborted) throw ctx.signal.reason;
            await ctx.write('OperationOutcome', failure(input.url, undefined, (err as Error).message), 'error');
            state.counts[input.index].failed++;
            continue;
          }
          try {
            for await (const batch of readNdjsonBatches(stream, { size: BATCH, skip: (n) => n <= from })) {
              if (ctx.signal.aborted) throw ctx.signal.reason;
              const lines: ImportLine[] = [];
              for (const e of batch.errors) {
                state.counts[input.index].failed++;
                await ctx.write('OperationOutcome', failure(input.url, e.line, e.message), 'error');
              }
              for (const [i, resource] of batch.resources.entries()) {
                const line = batch.lines[i];
                const problem =
                  resource.resourceType !== input.type
                    ? `a ${resource.resourceType} in the input of type ${input.type}`
                    : typeof resource.id !== 'string' || resource.id === ''
                      ? 'has no id (an import keeps the ids it is given)'
                      : undefined;
                if (!problem) {
                  lines.push({ resource, source: input.url, line });
                  continue;
                }
                state.counts[input.index].failed++;
                await ctx.write('OperationOutcome', failure(input.url, line, problem), 'error');
              }
              if (lines.length) await record(ctx, deferred, job._id, input.index, state, await importBatch(batchDeps, ctx.repo, lines));
              state.line = Math.max(state.line, ...batch.lines, ...batch.errors.map((e) => e.line));
              await ctx.checkpoint({ ...state }, total(state));
            }
          } catch (err) {
            if (!(err instanceof SourceError) || ctx.signal.aborted) throw err;
            // The file could not be read to its end (too large, too slow, cut off): what was read is kept.
            await ctx.write('OperationOutcome', failure(input.url, undefined, `read up to line ${state.line}, then: ${(err as Error).message}`), 'error');
            state.counts[input.index].failed++;
          }
          const next = order[pos + 1];
          if (next) Object.assign(state, { input: next.index, line: 0 });
        }
        Object.assign(state, { phase: 'deferred', after: undefined, progressed: false });
        await ctx.checkpoint({ ...state }, total(state));
      }

      // Lines that referred ahead: pass after pass while a pass stores something (a chain resolves in order).
      for (;;) {
        const page = await deferred
          .find({ job: job._id, ...(state.after ? { _id: { $gt: state.after } } : {}) })
          .sort({ _id: 1 })
          .limit(BATCH)
          .toArray();
        if (page.length === 0) {
          if (!state.progressed) break;
          Object.assign(state, { after: undefined, progressed: false });
          continue;
        }
        const lines = page.map((d): ImportLine => ({ resource: JSON.parse(d.text) as Resource, source: d.source, line: d.line }));
        const outcomes = await importBatch(batchDeps, ctx.repo, lines);
        for (const [i, o] of outcomes.entries()) {
          if (o.kind === 'deferred') continue;
          if (o.kind === 'stored') state.progressed = true;
          await record(ctx, deferred, job._id, page[i].input, state, [o]);
          await deferred.deleteOne({ _id: page[i]._id });
        }
        state.after = page[page.length - 1]._id;
        await ctx.checkpoint({ ...state }, total(state));
      }
      // What never resolved refers to something no input holds and the store does not have.
      for await (const d of deferred.find({ job: job._id }).sort({ _id: 1 })) {
        state.counts[d.input].failed++;
        await ctx.write('OperationOutcome', failure(d.source, d.line, `not imported: ${d.reason}`), 'error');
      }
      await deferred.deleteMany({ job: job._id });
      for (const [i, input] of inputs.entries()) {
        const { stored, failed } = state.counts[i];
        const summary: OperationOutcome = {
          resourceType: 'OperationOutcome',
          issue: [issue('informational', `${input.url}: ${stored} ${input.type} resources imported, ${failed} lines not imported`, undefined, 'information')],
        };
        await ctx.write('OperationOutcome', summary);
      }
      return total(state);
    },
  });
}
