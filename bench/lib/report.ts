import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './server-process';

export interface Row {
  phase: string;
  metric: string;
  value: number | string;
  /** The target from the issue, when it has one ("≥ 1500"). */
  goal?: string;
  /** True/false when the goal is numeric and checked. */
  met?: boolean;
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    freeMemoryGb: Math.round(os.freemem() / 2 ** 30),
    /** Other work on the machine makes every figure lower: recorded so runs compare fairly. */
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
}

export function gitCommit(): { commit?: string; dirty?: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return {};
  }
}

/** A row with a numeric goal: `atLeast` (throughput) or `atMost` (latency). */
export function goalRow(phase: string, metric: string, value: number, goal: { atLeast?: number; atMost?: number }): Row {
  if (goal.atLeast !== undefined) return { phase, metric, value, goal: `≥ ${goal.atLeast}`, met: value >= goal.atLeast };
  return { phase, metric, value, goal: `≤ ${goal.atMost}`, met: value <= (goal.atMost as number) };
}

export function renderTable(rows: Row[]): string {
  const cells = rows.map((r) => [r.phase, r.metric, String(r.value), r.goal ? `${r.goal} ${r.met ? 'met' : 'MISSED'}` : '']);
  const header = ['phase', 'metric', 'value', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === 2 ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function writeResults(dir: string, result: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
