import { compareRows, numbersIn, renderComparison } from '../../bench/lib/compare';
import { type Row } from '../../bench/lib/report';

const row = (phase: string, metric: string, value: number | string): Row => ({ phase, metric, value });

describe('bench --compare: this run beside a saved one', () => {
  it('matches figures by phase and metric and gives the change in percent', () => {
    const saved = [row('read', 'FHIR read requests/s', 1000), row('crud', 'c16 requests/s', 400)];
    const now = [row('crud', 'c16 requests/s', 300), row('read', 'FHIR read requests/s', 1250)];
    expect(compareRows(now, saved)).toEqual([
      { phase: 'crud', metric: 'c16 requests/s', now: 300, saved: 400, changePercent: [-25] },
      { phase: 'read', metric: 'FHIR read requests/s', now: 1250, saved: 1000, changePercent: [25] },
    ]);
  });

  it('does not match a metric of the same name in another phase', () => {
    const [only] = compareRows([row('read', 'server CPU ms', 2)], [row('crud', 'server CPU ms', 4)]);
    expect(only).toEqual({ phase: 'read', metric: 'server CPU ms', now: 2 });
  });

  it('compares composite figures number by number when both have the same shape', () => {
    const [c] = compareRows([row('read', 'req/s (p50 / p99 ms)', '1500 (4 / 12)')], [row('read', 'req/s (p50 / p99 ms)', '1000 (5 / 12)')]);
    expect(c.changePercent).toEqual([50, -20, 0]);
    expect(numbersIn('2.5 / ? / 10')).toEqual([2.5, 10]);
  });

  it('gives no change where the values do not hold numbers alike', () => {
    const pairs: Array<[number | string, number | string]> = [
      ['1500 (4 / 12)', '1000 (5)'],
      ['? / 3', '2 / 3'],
      ['skipped', 'skipped'],
      ['12 (34%)', '12 / 34'],
    ];
    for (const [now, saved] of pairs) {
      const [c] = compareRows([row('p', 'm', now)], [row('p', 'm', saved)]);
      expect(c).toEqual({ phase: 'p', metric: 'm', now, saved, changePercent: undefined });
    }
  });

  it('says n/a rather than an infinity when the saved figure was zero', () => {
    const [grew, same] = compareRows([row('p', 'failed', 3), row('p', 'errors', 0)], [row('p', 'failed', 0), row('p', 'errors', 0)]);
    expect(grew.changePercent).toEqual([Number.NaN]);
    expect(same.changePercent).toEqual([0]);
    expect(renderComparison([grew], 'saved')).toMatch(/failed\s+3\s+0\s+n\/a/);
  });

  it('keeps the rows only one side has: this run first in its order, then the saved run ones', () => {
    const saved = [row('read', 'old name', 5), row('read', 'kept', 1), row('search', 'p50 ms', 3)];
    const now = [row('read', 'kept', 2), row('read', 'new name', 6)];
    expect(compareRows(now, saved)).toEqual([
      { phase: 'read', metric: 'kept', now: 2, saved: 1, changePercent: [100] },
      { phase: 'read', metric: 'new name', now: 6 },
      { phase: 'read', metric: 'old name', saved: 5 },
      { phase: 'search', metric: 'p50 ms', saved: 3 },
    ]);
    const text = renderComparison(compareRows(now, saved), '2026-12-06 abc1234');
    expect(text).toMatch(/new name\s+6\s+\(new\)/);
    expect(text).toMatch(/old name\s+\(not run\)\s+5/);
    expect(text).toMatch(/kept\s+2\s+1\s+\+100%/);
  });
});
