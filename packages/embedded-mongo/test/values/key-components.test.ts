import { Binary, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { componentTest, splitKey } from '../../src/values/key-components';
import { complement, encodeKey } from '../../src/values/key-encoding';

const values: unknown[] = [
  new MinKey(),
  null,
  Number.NaN,
  -2.5,
  0,
  1e308,
  '',
  '\u0000\u0001x',
  'é',
  { a: 1, b: ['x', { c: null }] },
  [],
  [1, [2, 'y']],
  new Binary(Buffer.from([0, 1, 255])),
  new ObjectId('000000000000000000000001'),
  true,
  new Date(1e12),
  new Timestamp({ t: 1, i: 2 }),
  /a\u0000b/i,
  new MaxKey(),
];

describe('reading compound keys back', () => {
  it('splits a compound key into the encodings of its components, ascending and descending', () => {
    for (const a of values)
      for (const b of values) {
        const parts = [encodeKey(a), complement(encodeKey(b)), encodeKey(b)];
        expect(splitKey(parts.join(''), [false, true, false])).toEqual(parts);
      }
  });

  it('tests the bounded components of a key, skipping the unbounded ones', () => {
    const key = (p: string, lo: Date, hi: Date) => encodeKey(p) + encodeKey(lo) + complement(encodeKey(hi));
    const day = (d: number) => new Date(Date.UTC(2020, 0, d));
    // Bounds on the third (descending) field only: hi >= day 10, as complemented intervals.
    const test = componentTest([{ field: 2, intervals: [{ lo: complement(encodeKey(new Date(8.64e15))), hi: complement(encodeKey(day(10))) }] }], [false, false, true]);
    expect(test(key('date', day(1), day(12)))).toBe(true);
    expect(test(key('date', day(1), day(10)))).toBe(true);
    expect(test(key('date', day(1), day(9)))).toBe(false);
  });
});
