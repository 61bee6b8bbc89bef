import { generateKeys, keyMaker } from '../../src/engine/index-keys';
import { encodeComponent } from '../../src/values/key-encoding';

const keys = (doc: unknown, paths: string[]) =>
  generateKeys(
    doc,
    paths.map((p) => p.split('.')),
    paths,
  );

describe('index key generation', () => {
  it('pairs compound fields under one array element by element, never across elements', () => {
    const r = keys({ s: { e: [{ p: 'a', v: 1 }, { p: 'b' }] } }, ['s.e.p', 's.e.v']);
    expect(r.tuples).toEqual([
      ['a', 1],
      ['b', null],
    ]);
    expect(r.arrayPrefixes).toEqual([[2], [2]]);
  });

  it('expands a nested leaf array inside an element (the general path)', () => {
    const r = keys(
      {
        s: {
          e: [
            { p: 'a', v: [1, 2] },
            { p: 'b', v: 3 },
          ],
        },
      },
      ['s.e.p', 's.e.v'],
    );
    expect(r.tuples).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 3],
    ]);
    expect(r.arrayPrefixes).toEqual([[2], [2, 3]]);
  });

  it('indexes missing fields as null and an empty array as a null key', () => {
    expect(keys({ x: 1 }, ['a', 'b']).tuples).toEqual([[null, null]]);
    expect(keys({ a: [] }, ['a']).tuples).toEqual([[null]]);
    expect(keys({ s: { e: [] } }, ['s.e.p', 's.e.v']).tuples).toEqual([[null, null]]);
  });

  it('combines a multikey field with scalar fields', () => {
    expect(keys({ c: ['x', 'y'], _id: 7 }, ['c', '_id']).tuples).toEqual([
      ['x', 7],
      ['y', 7],
    ]);
  });

  it('refuses two different arrays in one compound key (parallel arrays)', () => {
    expect(() => keys({ a: [1, 2], b: [3, 4] }, ['a', 'b'])).toThrow(/parallel arrays/);
  });
});

describe('compiled key functions', () => {
  const paths = (spec: Record<string, number>) => Object.entries(spec).map(([p, d]) => ({ parts: p.split('.'), desc: d === -1 }));
  /** The keys the general algorithm gives, encoded and deduplicated: what every fast path must reproduce. */
  const reference = (doc: unknown, spec: Record<string, number>) => {
    const fields = paths(spec);
    const { tuples, arrayPrefixes } = generateKeys(
      doc,
      fields.map((f) => f.parts),
      Object.keys(spec),
    );
    const keys = [...new Set(tuples.map((t) => t.map((v, j) => encodeComponent(v, fields[j].desc)).join('')))];
    return { keys: keys.sort(), prefixes: arrayPrefixes.map((p) => [...p].sort()) };
  };
  const compiled = (doc: unknown, spec: Record<string, number>) => {
    const prefixes = Object.keys(spec).map(() => new Set<number>());
    const keys = keyMaker(paths(spec), Object.keys(spec))(doc, prefixes);
    return { keys: [...keys].sort(), prefixes: prefixes.map((p) => [...p].sort()) };
  };
  const when = new Date(Date.UTC(2020, 1, 2));
  const docs: unknown[] = [
    {
      _id: 'a',
      s: {
        e: [
          { p: 'code', v: 'x', sy: 'http://loinc.org' },
          { p: 'code', v: 'x', sy: 'http://loinc.org' },
          { p: 'date', lo: when, hi: when },
        ],
      },
    },
    { _id: 'b', s: { e: [{ p: 'name', v: 'é\u0000' }, { p: 'name' }] } },
    { _id: 'c', s: { e: [] } },
    { _id: 'd', s: { e: [{ p: 'code', v: ['x', 'y'] }] } },
    { _id: 'e', s: { e: ['scalar', { p: 'code', v: 'x' }] } },
    { _id: 'f', s: { e: { p: 'code', v: 'x' } } },
    { _id: 'g', s: 'scalar' },
    { _id: 'h', s: [{ e: [{ p: 'code' }] }] },
    { _id: 'i' },
    { _id: 'j', c: ['Patient/1', 'Patient/2', 'Patient/1'], lu: when, s: { o: { date: { a: when, d: when } } } },
    { _id: 'k', c: [], lu: null },
    { _id: 'l', c: 'Patient/1', lu: { nested: [1] } },
    { _id: 'm', c: [['nested'], 'Patient/3'], lu: when },
    { _id: 7, lu: when, s: { o: { date: when } } },
  ];
  const specs: Array<Record<string, number>> = [
    { 's.e.p': 1, 's.e.v': 1, 's.e.sy': 1 },
    { 's.e.p': 1, 's.e.lo': 1, 's.e.hi': -1 },
    { c: 1, _id: 1 },
    { lu: -1, _id: 1 },
    { 's.o.date.a': 1, _id: -1 },
    { _id: -1, c: 1 },
  ];

  it.each(specs)('gives exactly the general algorithm keys and multikey paths for %j', (spec) => {
    for (const doc of docs) expect([doc, compiled(doc, spec)]).toEqual([doc, reference(doc, spec)]);
  });

  it('still refuses parallel arrays', () => {
    expect(() => keyMaker(paths({ a: 1, b: 1 }), ['a', 'b'])({ a: [1], b: [2] }, [new Set(), new Set()])).toThrow(/parallel arrays/);
  });
});
