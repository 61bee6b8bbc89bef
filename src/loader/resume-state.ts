import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InputFile } from './inputs';

/** Inclusive 1-based line ranges, sorted and merged. */
export type LineRanges = Array<[number, number]>;

interface FileState {
  size: number;
  mtimeMs: number;
  /** The whole file went through without a failure. */
  done: boolean;
  /** NDJSON: lines whose batch went through without a failure. */
  lines?: LineRanges;
}

interface StateFile {
  version: 1;
  /** Key: `${target} ${absolute path}`: the same file loaded into two servers is two jobs. */
  files: Record<string, FileState>;
}

export function addLines(ranges: LineRanges, lines: number[]): LineRanges {
  const all = [...ranges];
  for (const l of lines) all.push([l, l]);
  all.sort((a, b) => a[0] - b[0]);
  const out: LineRanges = [];
  for (const [from, to] of all) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

export function inRanges(ranges: LineRanges, line: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (line < ranges[mid][0]) hi = mid - 1;
    else if (line > ranges[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * What earlier runs completed, so `--resume` can skip it. A file counts only while its size and modification
 * time are unchanged: an edited file is loaded again in full. Saved after every completed unit (write to a
 * temporary file, then rename, so a crash mid-write never leaves a truncated state file).
 */
export class ResumeState {
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly target: string,
    private readonly state: StateFile,
  ) {}

  static async open(file: string, target: string): Promise<ResumeState> {
    let state: StateFile = { version: 1, files: {} };
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text) {
      try {
        const parsed = JSON.parse(text) as StateFile;
        if (parsed.version === 1 && parsed.files && typeof parsed.files === 'object') state = parsed;
      } catch {
        // A damaged state file only means nothing is skipped.
      }
    }
    return new ResumeState(file, target, state);
  }

  private key(input: InputFile): string {
    return `${this.target} ${input.path}`;
  }

  private entry(input: InputFile): FileState | undefined {
    const s = this.state.files[this.key(input)];
    return s && s.size === input.size && s.mtimeMs === input.mtimeMs ? s : undefined;
  }

  private entryForWrite(input: InputFile): FileState {
    let s = this.entry(input);
    if (!s) {
      s = { size: input.size, mtimeMs: input.mtimeMs, done: false };
      this.state.files[this.key(input)] = s;
    }
    return s;
  }

  isDone(input: InputFile): boolean {
    return this.entry(input)?.done === true;
  }

  /** Lines of an NDJSON file already loaded. */
  doneLines(input: InputFile): LineRanges {
    return this.entry(input)?.lines ?? [];
  }

  markLines(input: InputFile, lines: number[]): Promise<void> {
    const s = this.entryForWrite(input);
    s.lines = addLines(s.lines ?? [], lines);
    return this.save();
  }

  markDone(input: InputFile): Promise<void> {
    const s = this.entryForWrite(input);
    s.done = true;
    delete s.lines;
    return this.save();
  }

  /** Saves are chained so concurrent completions never interleave their writes. */
  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      // Usually in DATA_DIR, which must stay owner-only (the server refuses it otherwise).
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(this.state), { mode: 0o600 });
      await fs.chmod(tmp, 0o600);
      await fs.rename(tmp, this.file);
    });
    return this.saving;
  }
}
