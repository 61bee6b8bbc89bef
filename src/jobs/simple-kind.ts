import type { Repository } from '../store/repository';
import type { Job, JobCheckpoint, JobFile } from './job';
import { policyOf, type JobGrant } from './grant';
import type { JobKind } from './kind';
import { NdjsonFileWriter } from './ndjson-writer';

/** The plan every non-export job stores: the kick-off caller's access, and the kind's own parameters. */
export interface GrantedPlan<P> {
  grant: JobGrant;
  params: P;
}

/** A simple kind's checkpoint: its own resume state, and the files completed so far. */
export interface StateCheckpoint<S> extends JobCheckpoint {
  state?: S;
}

export type SimpleJob<P, S> = Job<GrantedPlan<P>, StateCheckpoint<S>>;

/** What a simple kind's `run` works with. */
export interface SimpleJobContext<S> {
  /** The store under the kick-off caller's policy (every read and write bounded by it, as in a request). */
  repo: Repository;
  signal: AbortSignal;
  /** Where the last run stopped (its last checkpoint), or undefined on a first run. */
  state?: S;
  /** Appends one NDJSON line to the job's output (`kind` error: an OperationOutcome line) of the given type. */
  write(type: string, line: object | string, kind?: 'output' | 'error'): Promise<void>;
  /**
   * Completes the files written so far and stores them with `state` and the count: a job resumed after a crash or a
   * lost lease starts from here. Throws (a JobAborted) when the job was cancelled or taken over: let it propagate.
   */
  checkpoint(state: S, processed: number): Promise<void>;
}

export interface SimpleKindDefinition<P, S> {
  kind: string;
  /**
   * Runs or resumes the job; whatever it writes after its last checkpoint is kept when it returns. Resolves with
   * the final count of items processed, or nothing to keep the last checkpoint's.
   */
  run(job: SimpleJob<P, S>, ctx: SimpleJobContext<S>): Promise<number | void>;
  progress?(job: SimpleJob<P, S>): string;
  sharedWith?: JobKind<GrantedPlan<P>, StateCheckpoint<S>>['sharedWith'];
}

/**
 * A job kind whose run writes NDJSON lines and checkpoints an opaque state: the worker's lease, resume, cancel and
 * files are handled here, so a kind is its logic alone (`$find-duplicates`, `$completeness-audit`, ...).
 */
export function simpleKind<P, S>(def: SimpleKindDefinition<P, S>): JobKind<GrantedPlan<P>, StateCheckpoint<S>> {
  return {
    kind: def.kind,
    progress: def.progress,
    sharedWith: def.sharedWith,
    async run(job, ctx) {
      const files: JobFile[] = [...job.checkpoint.files];
      // Files written after the last checkpoint (a crash, a lost lease) are incomplete: drop them.
      const kept = new Set(files.map((f) => f.name));
      await ctx.files.remove(
        job._id,
        (await ctx.files.list(job._id)).filter((n) => !kept.has(n)),
      );
      const writers = new Map<string, NdjsonFileWriter>();
      const nextSeq = (stem: string) => files.filter((f) => f.name.startsWith(`${stem}-`)).length + 1;
      let processed = job.processed ?? 0;
      let state = job.checkpoint.state;
      const closeAll = async () => {
        for (const w of writers.values()) {
          const file = await w.close();
          if (file) files.push(file);
        }
        writers.clear();
      };
      const writer = (type: string, kind: 'output' | 'error') => {
        const key = `${kind}:${type}`;
        let w = writers.get(key);
        if (!w) {
          const stem = kind === 'output' ? type : `${type}.${kind}`;
          w = new NdjsonFileWriter(ctx.files, job._id, type, kind, ctx.maxLines, nextSeq(stem));
          writers.set(key, w);
        }
        return w;
      };
      const checkpoint = async (next: S, count: number) => {
        await closeAll();
        state = next;
        processed = count;
        await ctx.checkpoint({ files: [...files], state }, processed);
      };
      try {
        const final = await def.run(job, {
          repo: ctx.systemRepo.as(policyOf(job.plan.grant)),
          signal: ctx.signal,
          state,
          async write(type, line, kind = 'output') {
            if (ctx.signal.aborted) throw ctx.signal.reason;
            const w = writer(type, kind);
            await w.write(typeof line === 'string' ? line : JSON.stringify(line));
            // A full file is completed at once (without a checkpoint its lines are redone on resume, never lost).
            if (w.full) {
              const file = await w.close();
              if (file) files.push(file);
              writers.delete(`${kind}:${type}`);
            }
          },
          checkpoint,
        });
        if (typeof final === 'number') processed = final;
        await closeAll();
      } catch (err) {
        for (const w of writers.values()) await w.abort();
        throw err;
      }
      return { checkpoint: { files, state }, processed };
    },
  };
}
