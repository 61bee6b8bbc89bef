import { generateKeys } from '../../../src/embedded-mongo/engine/index-keys';

const keys = (doc: unknown, paths: string[]) => generateKeys(doc, paths.map((p) => p.split('.')), paths);

describe('index key generation', () => {
  it('pairs compound fields under one array element by element, never across elements', () => {
    const r = keys({ s: { e: [{ p: 'a', v: 1 }, { p: 'b' }] } }, ['s.e.p', 's.e.v']);
    expect(r.tuples).toEqual([['a', 1], ['b', null]]);
    expect(r.arrayPrefixes).toEqual([[2], [2]]);
  });

  it('expands a nested leaf array inside an element (the general path)', () => {
    const r = keys({ s: { e: [{ p: 'a', v: [1, 2] }, { p: 'b', v: 3 }] } }, ['s.e.p', 's.e.v']);
    expect(r.tuples).toEqual([['a', 1], ['a', 2], ['b', 3]]);
    expect(r.arrayPrefixes).toEqual([[2], [2, 3]]);
  });

  it('indexes missing fields as null and an empty array as a null key', () => {
    expect(keys({ x: 1 }, ['a', 'b']).tuples).toEqual([[null, null]]);
    expect(keys({ a: [] }, ['a']).tuples).toEqual([[null]]);
    expect(keys({ s: { e: [] } }, ['s.e.p', 's.e.v']).tuples).toEqual([[null, null]]);
  });

  it('combines a multikey field with scalar fields', () => {
    expect(keys({ c: ['x', 'y'], _id: 7 }, ['c', '_id']).tuples).toEqual([['x', 7], ['y', 7]]);
  });

  it('refuses two different arrays in one compound key (parallel arrays)', () => {
    expect(() => keys({ a: [1, 2], b: [3, 4] }, ['a', 'b'])).toThrow(/parallel arrays/);
  });
});
