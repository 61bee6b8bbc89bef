import { compileFilter } from '../../src/query/matcher';
import { ObjectId } from 'bson';

describe('compiled filter cache', () => {
  it('returns the same compiled predicate for an equal filter, so repeated queries skip compilation', () => {
    const id = new ObjectId();
    const a = compileFilter({ 's.e': { $elemMatch: { p: 'name', v: { $in: ['x', /^y/i] } } }, _id: id });
    const b = compileFilter({ 's.e': { $elemMatch: { p: 'name', v: { $in: ['x', /^y/i] } } }, _id: new ObjectId(id.toHexString()) });
    expect(b).toBe(a);
  });

  it('keeps filters that differ only in value type or regex flags apart', () => {
    expect(compileFilter({ a: 1 })).not.toBe(compileFilter({ a: '1' }));
    expect(compileFilter({ a: /x/ })).not.toBe(compileFilter({ a: /x/i }));
    expect(compileFilter({ a: /x/ })({ a: 'X' })).toBe(false);
    expect(compileFilter({ a: /x/i })({ a: 'X' })).toBe(true);
  });
});
