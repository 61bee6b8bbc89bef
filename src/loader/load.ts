import { promises as fs } from 'node:fs';
import { toBundle, type GroupingType } from './batch-bundle';
import { loadRank, type InputFile } from './inputs';
import { readNdjsonBatches } from './ndjson';
import { silentProgress, type Progress } from './progress';
import { inRanges, type ResumeState } from './resume-state';
import { postBundle, type EntryFailure } from './send';

export interface LoadOptions {
  /** FHIR base URL, e.g. http://localhost:8080/fhir. */
  baseUrl: string;
  inputs: InputFile[];
  /** NDJSON resources per Bundle. */
  batchSize?: number;
  /** Bundles in flight at once. */
  concurrency?: number;
  /** How NDJSON groups are sent (see toBundle). */
  ndjsonAs?: GroupingType;
  /** Records what completes, so a later run can resume. */
  state?: ResumeState;
  /** Skip what `state` records as completed. */
  resume?: boolean;
  progress?: Progress;
  /** Extra request headers, e.g. Authorization. */
  headers?: Record<string, string>;
}

/** A failure located in its file: a bundle's entry index, or an NDJSON line. */
export interface Failure {
  file: string;
  entry?: number;
  line?: number;
  /** NDJSON lines of a group that failed as a whole (transaction grouping, network error); none of them is stored. */
  lines?: [number, number];
  status: number;
  diagnostics: string;
}

export interface LoadSummary {
  files: number;
  /** Files skipped entirely because a previous run completed them (--resume). */
  skippedFiles: number;
  /** NDJSON lines skipped because a previous run completed them (--resume). */
  skippedLines: number;
  /** Resources the server stored. */
  resources: number;
  failures: Failure[];
  seconds: number;
  resourcesPerSecond: number;
}

interface FileTracker {
  input: InputFile;
  pending: number;
  exhausted: boolean;
  failed: boolean;
}

interface Unit {
  tracker: FileTracker;
  run(): Promise<void>;
}

const DEFAULT_BATCH = 250;
const DEFAULT_CONCURRENCY = 2;

/**
 * Loads files into a FHIR server: transaction (or batch) Bundle files are POSTed as written; NDJSON files are
 * streamed into Bundles of `batchSize`. Files load rank by rank (hospital and practitioner bundles, then the types
 * others refer to, then the rest; see inputs.ts), each rank finishing before the next starts, with `concurrency`
 * bundles in flight within a rank.
 */
export async function loadFiles(opts: LoadOptions): Promise<LoadSummary> {
  const progress = opts.progress ?? silentProgress;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const ndjsonAs = opts.ndjsonAs ?? 'batch';
  const summary: LoadSummary = { files: opts.inputs.length, skippedFiles: 0, skippedLines: 0, resources: 0, failures: [], seconds: 0, resourcesPerSecond: 0 };
  const startedAt = process.hrtime.bigint();

  const record = (t: FileTracker, f: Omit<Failure, 'file'>) => {
    t.failed = true;
    summary.failures.push({ file: t.input.path, ...f });
  };
  const finish = async (t: FileTracker) => {
    if (t.exhausted && t.pending === 0 && !t.failed) await opts.state?.markDone(t.input);
  };

  const bundleUnit = (tracker: FileTracker): Unit => ({
    tracker,
    async run() {
      const text = await fs.readFile(tracker.input.path, 'utf8');
      let entries: number;
      try {
        const parsed = JSON.parse(text) as { resourceType?: string; entry?: unknown[] };
        entries = Array.isArray(parsed.entry) ? parsed.entry.length : 0;
      } catch (err) {
        record(tracker, { status: 0, diagnostics: `not valid JSON (${(err as Error).message})` });
        progress.advance(tracker.input.size, 0);
        return;
      }
      const result = await postBundle(opts.baseUrl, text, entries, opts.headers);
      for (const f of result.failures) record(tracker, failureAt(f));
      summary.resources += result.stored;
      progress.advance(tracker.input.size, result.stored);
    },
  });

  async function* ndjsonUnits(tracker: FileTracker): AsyncGenerator<Unit> {
    const done = (opts.resume && opts.state?.doneLines(tracker.input)) || [];
    const skip = done.length ? (line: number) => inRanges(done, line) : undefined;
    for await (const batch of readNdjsonBatches(tracker.input.path, { size: batchSize, skip })) {
      yield {
        tracker,
        async run() {
          for (const e of batch.errors) record(tracker, { line: e.line, status: 0, diagnostics: e.message });
          let stored = 0;
          if (batch.resources.length) {
            const result = await postBundle(opts.baseUrl, JSON.stringify(toBundle(batch.resources, ndjsonAs)), batch.resources.length, opts.headers);
            stored = result.stored;
            const group: [number, number] = [batch.lines[0], batch.lines[batch.lines.length - 1]];
            for (const f of result.failures) {
              const line = f.entry !== undefined ? batch.lines[f.entry] : undefined;
              // A refused transaction stores none of its group: the failure names the culprit line and the group.
              const lines = line === undefined || ndjsonAs === 'transaction' ? group : undefined;
              record(tracker, { line, lines, status: f.status, diagnostics: f.diagnostics });
            }
            if (!result.failures.length) await opts.state?.markLines(tracker.input, batch.lines);
          }
          summary.resources += stored;
          progress.advance(batch.bytes, stored);
        },
      };
    }
    if (skip) summary.skippedLines += done.reduce((n, [from, to]) => n + to - from + 1, 0);
  }

  async function* unitsOf(files: InputFile[]): AsyncGenerator<Unit> {
    for (const input of files) {
      const tracker: FileTracker = { input, pending: 0, exhausted: false, failed: false };
      if (opts.resume && opts.state?.isDone(input)) {
        summary.skippedFiles++;
        progress.advance(input.size, 0);
        continue;
      }
      const units = input.kind === 'bundle' ? [bundleUnit(tracker)] : ndjsonUnits(tracker);
      for await (const unit of units) {
        // Counted here, not by the worker that takes it: the generator may resume (and see the file exhausted)
        // before that worker's code runs.
        tracker.pending++;
        yield unit;
      }
      tracker.exhausted = true;
      await finish(tracker);
    }
  }

  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
  progress.start(opts.inputs.reduce((n, f) => n + f.size, 0));
  try {
    for (const group of groupsByRank(opts.inputs)) {
      const units = unitsOf(group);
      const worker = async () => {
        for (let next = await units.next(); !next.done; next = await units.next()) {
          const unit = next.value;
          try {
            await unit.run();
          } catch (err) {
            record(unit.tracker, { status: 0, diagnostics: (err as Error).message });
          } finally {
            unit.tracker.pending--;
            await finish(unit.tracker);
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    }
  } finally {
    progress.stop();
  }
  summary.seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  summary.resourcesPerSecond = summary.resources / Math.max(summary.seconds, 1e-9);
  return summary;
}

function failureAt(f: EntryFailure): Omit<Failure, 'file'> {
  return { entry: f.entry, status: f.status, diagnostics: f.diagnostics };
}

function groupsByRank(inputs: InputFile[]): InputFile[][] {
  const groups = new Map<number, InputFile[]>();
  for (const input of inputs) {
    const rank = loadRank(input.path);
    groups.set(rank, [...(groups.get(rank) ?? []), input]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, files]) => files);
}
