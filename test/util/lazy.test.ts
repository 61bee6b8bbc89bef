import { lazy } from '../../src/util/lazy';

describe('lazy', () => {
  it('computes on first use only, and returns the same value after', () => {
    let calls = 0;
    const value = lazy(() => ({ n: ++calls }));
    expect(calls).toBe(0);
    const first = value();
    expect(value()).toBe(first);
    expect(calls).toBe(1);
  });

  it('computes again on the next use when the first computation threw', () => {
    let calls = 0;
    const value = lazy(() => {
      calls += 1;
      if (calls === 1) throw new Error('not yet');
      return calls;
    });
    expect(() => value()).toThrow('not yet');
    expect(value()).toBe(2);
    expect(value()).toBe(2);
  });
});
