import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of a V8 .cpuprofile (written by `node --cpu-prof`) the summary needs. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  startTime: number;
  endTime: number;
  samples?: number[];
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

function top(map: Map<string, number>, total: number, msPerHit: number, n: number): ProfileItem[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => ({ name, selfPercent: Math.round((hits / total) * 1000) / 10, selfMs: Math.round(hits * msPerHit) }));
}

/** Self time per function and per file of a CPU profile, `(idle)` excluded from the shares. */
export function summariseProfile(file: string, root: string, n = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    all += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || !hits) continue;
    total += hits;
    const loc = where(url, root);
    const fn = `${functionName || '(anonymous)'} (${loc}${url && !loc.startsWith('node_modules/') ? `:${lineNumber + 1}` : ''})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
    byFile.set(loc, (byFile.get(loc) ?? 0) + hits);
  }
  const msPerHit = all ? (profile.endTime - profile.startTime) / 1000 / all : 0;
  return {
    totalMs: Math.round(total * msPerHit),
    functions: top(byFunction, total || 1, msPerHit, n),
    files: top(byFile, total || 1, msPerHit, n),
  };
}

if (require.main === module) {
  const [file, root = process.cwd(), n = '25'] = process.argv.slice(2);
  const s = summariseProfile(file, path.resolve(root), Number(n));
  process.stdout.write(`busy ${s.totalMs} ms\n\nby function:\n`);
  for (const f of s.functions) process.stdout.write(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}\n`);
  process.stdout.write('\nby file:\n');
  for (const f of s.files) process.stdout.write(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}\n`);
}
