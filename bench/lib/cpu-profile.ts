import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of a V8 .cpuprofile (written by `node --cpu-prof`) the summary needs. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileItem {
  /** function (file:line), file relative to the project or `node_modules/<pkg>/...`. */
  name: string;
  /** Share of all samples spent in this function itself, percent. */
  selfPercent: number;
  selfMs: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Functions by self time. */
  functions: ProfileItem[];
  /** Self time grouped by source file (or package, for dependencies). */
  files: ProfileItem[];
  /**
   * Inclusive time per project source file: samples with that file anywhere on the stack (what a layer costs with
   * everything it calls, e.g. the audit trail including the engine work of its inserts).
   */
  inclusive: ProfileItem[];
}

function where(url: string, root: string): string {
  if (!url) return '(native)';
  const file = url.startsWith('file://') ? url.slice(7) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 14).split('/');
    return `node_modules/${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (file.startsWith(root)) return path.relative(root, file);
  return file;
}

function top(map: Map<string, number>, total: number, msPerUnit: number, n: number): ProfileItem[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, units]) => ({ name, selfPercent: Math.round((units / total) * 1000) / 10, selfMs: Math.round(units * msPerUnit) }));
}

/** A span of the monotonic clock (process.hrtime.bigint() in nanoseconds), the clock V8 stamps samples with. */
export type TimeWindow = [bigint, bigint];

/** A .cpuprofile file as V8 wrote it. */
export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/**
 * Self time per function and per file of a CPU profile, `(idle)` excluded. With `window`, only the samples taken
 * inside it count: one phase of a longer run, without the server's start-up.
 */
export function summariseProfile(file: string, root: string, n = 25, window?: TimeWindow): ProfileSummary {
  const profile = readProfile(file);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const projectFiles = (id: number): Set<string> => {
    const files = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const loc = where(nodes.get(cur)?.callFrame.url ?? '', root);
      if (/^(dist\/)?(src|bench)\//.test(loc)) files.add(loc);
    }
    return files;
  };
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalUs = 0;
  const [from, to] = window ? [Number(window[0] / 1000n), Number(window[1] / 1000n)] : [-Infinity, Infinity];
  let t = profile.startTime;
  const samples = profile.samples ?? [];
  for (let i = 0; i < samples.length; i++) {
    const delta = profile.timeDeltas?.[i] ?? 0;
    t += delta;
    const node = nodes.get(samples[i]);
    if (!node || t < from || t > to) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    // A sample stands for the time until the next one.
    const weight = profile.timeDeltas?.[i + 1] ?? delta;
    totalUs += weight;
    const loc = where(url, root);
    const fn = `${functionName || '(anonymous)'} (${loc}${url && !loc.startsWith('node_modules/') ? `:${lineNumber + 1}` : ''})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + weight);
    byFile.set(loc, (byFile.get(loc) ?? 0) + weight);
    for (const f of projectFiles(node.id)) inclusive.set(f, (inclusive.get(f) ?? 0) + weight);
  }
  return {
    totalMs: Math.round(totalUs / 1000),
    functions: top(byFunction, totalUs || 1, 1 / 1000, n),
    files: top(byFile, totalUs || 1, 1 / 1000, n),
    inclusive: top(inclusive, totalUs || 1, 1 / 1000, n),
  };
}

if (require.main === module) {
  const [file, root = process.cwd(), n = '25'] = process.argv.slice(2);
  const s = summariseProfile(file, path.resolve(root), Number(n));
  process.stdout.write(`busy ${s.totalMs} ms\n\nby function:\n`);
  for (const f of s.functions) process.stdout.write(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}\n`);
  process.stdout.write('\nby file:\n');
  for (const f of s.files) process.stdout.write(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}\n`);
  process.stdout.write('\nproject files, inclusive:\n');
  for (const f of s.inclusive) process.stdout.write(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}\n`);
}
