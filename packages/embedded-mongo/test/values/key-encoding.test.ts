import { Binary, Decimal128, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { compareValues } from '../../src/values/bson-order';
import { complement, encodeKey } from '../../src/values/key-encoding';

/** Values of every BSON type, including the tricky ones (NaN, -0, infinities, escapes, nested documents). */
const values: unknown[] = [
  new MinKey(),
  null,
  Number.NaN,
  Number.NEGATIVE_INFINITY,
  -1e308,
  -2.5,
  -1,
  -0,
  0,
  1e-300,
  1,
  Long.fromNumber(2),
  2.5,
  Decimal128.fromString('3.5'),
  1e308,
  Number.POSITIVE_INFINITY,
  '',
  '\u0000',
  '\u0000a',
  '\u0001',
  'a',
  'a\u0000',
  'ab',
  'b',
  'Z',
  'é',
  '\uE000',
  '\u{1F600}',
  {},
  { a: 1 },
  { a: 1, b: 1 },
  { a: 2 },
  { a: 'x' },
  { b: 0 },
  [],
  [1],
  [1, 2],
  [2],
  ['a'],
  [[1]],
  new Binary(Buffer.from([1])),
  new Binary(Buffer.from([1, 2])),
  new Binary(Buffer.from([2])),
  new ObjectId('000000000000000000000001'),
  new ObjectId('ffffffffffffffffffffffff'),
  false,
  true,
  new Date(-1e12),
  new Date(0),
  new Date(1e12),
  new Timestamp({ t: 1, i: 1 }),
  new Timestamp({ t: 1, i: 2 }),
  new Timestamp({ t: 2, i: 0 }),
  /a/,
  /a/i,
  /b/,
  new MaxKey(),
];

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const strCmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('order-preserving key encoding', () => {
  it('orders encoded keys exactly as MongoDB orders the values', () => {
    const mismatches: string[] = [];
    for (const a of values)
      for (const b of values) {
        const expected = sign(compareValues(a, b));
        if (strCmp(encodeKey(a), encodeKey(b)) !== expected) mismatches.push(`${String(a)} vs ${String(b)}: expected ${expected}`);
      }
    expect(mismatches).toEqual([]);
  });

  it('reverses the order when complemented (descending index fields)', () => {
    for (const a of values) for (const b of values) expect(strCmp(complement(encodeKey(a)), complement(encodeKey(b)))).toBe(0 - sign(compareValues(a, b)) || 0);
  });

  it('complements keys of any length, long strings included', () => {
    const long = encodeKey('x'.repeat(5000) + 'é');
    expect(complement(complement(long))).toBe(long);
    expect(strCmp(complement(long), complement(encodeKey('x'.repeat(5000))))).toBe(-1);
  });

  it('keeps compound keys ordered field by field (no encoding is a prefix of another)', () => {
    for (const a of values)
      for (const b of values) {
        if (compareValues(a, b) === 0) continue;
        const ka = encodeKey(a);
        const kb = encodeKey(b);
        expect(ka.startsWith(kb) || kb.startsWith(ka)).toBe(false);
      }
  });

  it('encodes equal numbers of different BSON types identically, as MongoDB compares them', () => {
    expect(encodeKey(2)).toBe(encodeKey(Long.fromNumber(2)));
    expect(encodeKey(-0)).toBe(encodeKey(0));
  });
});
