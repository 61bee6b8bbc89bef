import { readFileSync } from 'node:fs';
import { type Row } from './report';

/** One figure of this run beside the same figure (phase and metric) of a saved run. */
export interface Compared {
  phase: string;
  metric: string;
  /** Absent when the figure is only in the saved run. */
  now?: number | string;
  /** Absent when the figure is only in this run. */
  saved?: number | string;
  /**
   * Change of each number in the value, now against saved, percent (one decimal): one entry for a plain number,
   * one per number for a value such as "1200 (4.1 / 9.8)". Absent when the two values do not hold numbers in the
   * same shape (or one side is missing).
   */
  changePercent?: number[];
}

/** The numbers in a figure, in order ("1200 (4.1 / 9.8)" -> [1200, 4.1, 9.8]); '?' and words hold none. */
export function numbersIn(value: number | string): number[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [value] : [];
  return (value.match(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi) ?? []).map(Number);
}

/** Both values' text with their numbers taken out: two figures compare number by number only when these agree. */
const shape = (value: number | string) => String(value).replace(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, '#');

function change(now: number | string, saved: number | string): number[] | undefined {
  const a = numbersIn(now);
  const b = numbersIn(saved);
  if (!a.length || a.length !== b.length || (typeof now === 'string' && typeof saved === 'string' && shape(now) !== shape(saved))) return undefined;
  // A saved zero has no relative change: NaN says so rather than an infinity.
  return a.map((x, i) => (b[i] === 0 ? (x === 0 ? 0 : Number.NaN) : Math.round(((x - b[i]) / Math.abs(b[i])) * 1000) / 10));
}

const key = (r: Pick<Row, 'phase' | 'metric'>) => `${r.phase}\u0000${r.metric}`;

/**
 * This run's rows beside a saved run's, matched by phase and metric: this run's order first, then the saved run's
 * figures this run did not produce (a phase not run, a metric renamed), so nothing silently disappears.
 */
export function compareRows(now: readonly Row[], saved: readonly Row[]): Compared[] {
  const before = new Map(saved.map((r) => [key(r), r]));
  const out: Compared[] = now.map((r) => {
    const old = before.get(key(r));
    if (!old) return { phase: r.phase, metric: r.metric, now: r.value };
    return { phase: r.phase, metric: r.metric, now: r.value, saved: old.value, changePercent: change(r.value, old.value) };
  });
  const seen = new Set(now.map(key));
  for (const r of saved) if (!seen.has(key(r))) out.push({ phase: r.phase, metric: r.metric, saved: r.value });
  return out;
}

const signed = (p: number) => (Number.isNaN(p) ? 'n/a' : `${p > 0 ? '+' : ''}${p}%`);

/** The comparison as a text table: phase, metric, this run, the saved run, the change of each number. */
export function renderComparison(rows: readonly Compared[], savedLabel: string): string {
  const cells = rows.map((r) => [
    r.phase,
    r.metric,
    r.now === undefined ? '(not run)' : String(r.now),
    r.saved === undefined ? '(new)' : String(r.saved),
    r.changePercent ? r.changePercent.map(signed).join(' / ') : '',
  ]);
  const header = ['phase', 'metric', 'now', savedLabel, 'change'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i >= 2 && i <= 3 ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** The rows of a results file the bench wrote (`rows`, saved since --compare exists), with its date and commit. */
export function savedRun(file: string): { rows: Row[]; label: string } {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { rows?: Row[]; date?: string; commit?: string };
  if (!Array.isArray(saved.rows)) throw new Error(`${file} holds no table rows (a result saved before --compare existed): run the bench again to save one`);
  const label = [saved.date?.slice(0, 16), saved.commit?.slice(0, 7)].filter(Boolean).join(' ') || 'saved';
  return { rows: saved.rows, label };
}
