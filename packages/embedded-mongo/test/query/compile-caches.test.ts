import { compileFilter, toRegExp } from '../../src/query/matcher';

// The compiled-filter cache holds 2,000 filters and the regex cache 1,000, each evicting the least recently used:
// a filter or pattern in steady use stays compiled however many one-off ones pass through.
describe('compiled filter and regex caches', () => {
  it('keeps a filter in steady use compiled while 5,000 one-off filters pass through', () => {
    const steady = { status: 'active' };
    const compiled = compileFilter(steady);
    for (let i = 0; i < 5000; i++) {
      compileFilter({ n: i });
      if (i % 100 === 0) expect(compileFilter({ status: 'active' })).toBe(compiled);
    }
    expect(compileFilter({ status: 'active' })).toBe(compiled);
  });

  it('forgets a filter not used since 2,000 others were compiled', () => {
    const once = compileFilter({ once: true });
    for (let i = 0; i < 2000; i++) compileFilter({ m: i });
    expect(compileFilter({ once: true })).not.toBe(once);
  });

  it('keeps a regex in steady use compiled while 3,000 one-off patterns pass through', () => {
    const steady = toRegExp('^li', 'i');
    for (let i = 0; i < 3000; i++) {
      toRegExp(`^x${i}`);
      if (i % 100 === 0) expect(toRegExp('^li', 'i')).toBe(steady);
    }
    expect(toRegExp('^li', 'i')).toBe(steady);
  });
});
