/**
 * Query filter semantics the FHIR search layer relies on, checked through the driver. Expected results are
 * MongoDB's; with MONGODB_URI set the same cases run against a real server.
 */
import { Collection } from 'mongodb';
import { Harness, openHarness } from '../harness';

type AnyDoc = any;

const docs: AnyDoc[] = [
  { _id: 1, a: 5, s: 'Smith', tags: ['x', 'y'], arr: [{ b: 1, c: 'p' }, { b: 2 }], d: new Date('2020-01-01T00:00:00Z') },
  { _id: 2, a: 10, s: 'smithers', tags: [], arr: [{ b: 3, c: 'q' }], d: new Date('2021-06-01T00:00:00Z') },
  { _id: 3, a: '5', s: 'Jones', tags: ['y'], arr: [], n: null },
  {
    _id: 4,
    a: [1, 20],
    s: 'Álvarez',
    arr: [
      { b: 2, c: 'p' },
      { b: 9, c: 'r' },
    ],
    d: [new Date('2019-01-01T00:00:00Z'), new Date('2022-01-01T00:00:00Z')],
  },
  { _id: 5, s: 'smith', arr: [{ c: 'p' }] },
  { _id: 6, a: { x: 1 }, s: 'a\nsmith', nested: { deep: { v: [1, 2, 3] } } },
];

describe('filter conformance', () => {
  let h: Harness;
  let col: Collection<AnyDoc>;
  beforeAll(async () => {
    h = await openHarness();
    col = h.db.collection('filters');
    await col.insertMany(docs);
  });
  afterAll(() => h.close());

  const ids = async (filter: AnyDoc) => (await col.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);

  it.each<[string, AnyDoc, number[]]>([
    ['equality on a scalar field', { a: 5 }, [1]],
    ['equality does not cross types (string "5" vs number 5)', { a: '5' }, [3]],
    ['equality matches an element of an array field', { a: 20 }, [4]],
    ['equality on a whole array', { tags: ['x', 'y'] }, [1]],
    ['equality on an empty array', { tags: [] }, [2]],
    ['range matches when any array element is in range', { a: { $gt: 15 } }, [4]],
    ['range on an array needs no single element satisfying both bounds', { a: { $gt: 5, $lt: 15 } }, [2, 4]],
    ['$elemMatch needs one element satisfying all bounds', { a: { $elemMatch: { $gt: 5, $lt: 15 } } }, []],
    ['range only compares within a type bracket', { a: { $gte: 5 } }, [1, 2, 4]],
    ['$in with mixed types', { a: { $in: [10, '5'] } }, [2, 3]],
    ['$nin excludes arrays holding a listed element and includes missing fields', { a: { $nin: [1, 5] } }, [2, 3, 5, 6]],
    ['$ne on an array field (missing fields match too)', { tags: { $ne: 'y' } }, [2, 4, 5, 6]],
    ['null matches null and missing', { n: null }, [1, 2, 3, 4, 5, 6]],
    ['$exists false', { a: { $exists: false } }, [5]],
    ['$exists true', { n: { $exists: true } }, [3]],
    ['dotted path into an array of documents', { 'arr.b': 2 }, [1, 4]],
    ['dotted path null matches when an element lacks the field (not an empty array)', { 'arr.b': null }, [5, 6]],
    ['dotted path $exists false: empty arrays and elements without the field', { 'arr.b': { $exists: false } }, [3, 5, 6]],
    ['dotted path $exists through arrays', { 'arr.c': { $exists: true } }, [1, 2, 4, 5]],
    ['$elemMatch with two conditions on the same element', { arr: { $elemMatch: { b: 2, c: 'p' } } }, [4]],
    ['without $elemMatch conditions may match different elements', { 'arr.b': 1, 'arr.c': 'p' }, [1]],
    ['$elemMatch with a range', { arr: { $elemMatch: { b: { $gte: 2, $lte: 3 } } } }, [1, 2, 4]],
    ['$elemMatch with $or inside', { arr: { $elemMatch: { c: 'p', $or: [{ b: { $lt: 2 } }, { b: { $exists: false } }] } } }, [1, 5]],
    ['$regex anchored, case sensitive', { s: { $regex: '^smith' } }, [2, 5]],
    ['$regex with the i option', { s: { $regex: '^smith', $options: 'i' } }, [1, 2, 5]],
    ['regex literal with the i flag', { s: /^SMITH$/i }, [1, 5]],
    ['$regex with the m option matches after a newline', { s: { $regex: '^smith', $options: 'm' } }, [2, 5, 6]],
    ['$regex with the x option ignores pattern whitespace', { s: { $regex: '^s m i t h$', $options: 'x' } }, [5]],
    ['$in with a regex', { s: { $in: [/^Jo/, 'smith'] } }, [3, 5]],
    ['$not with a regex', { s: { $not: /mith/ } }, [3, 4]],
    ['$type string', { a: { $type: 'string' } }, [3]],
    ['$type looks at array elements', { d: { $type: 'date' } }, [1, 2, 4]],
    ['$type array', { a: { $type: 'array' } }, [4]],
    ['$type number', { a: { $type: 'number' } }, [1, 2, 4]],
    ['$size', { tags: { $size: 2 } }, [1]],
    ['$all', { tags: { $all: ['y', 'x'] } }, [1]],
    ['date range', { d: { $gte: new Date('2020-06-01T00:00:00Z') } }, [2, 4]],
    ['$or of branches', { $or: [{ a: 5 }, { s: 'Jones' }] }, [1, 3]],
    ['$and of $or', { $and: [{ $or: [{ a: 5 }, { a: 10 }] }, { $or: [{ s: /^S/ }, { s: /^s/ }] }] }, [1, 2]],
    ['$nor', { $nor: [{ a: { $exists: false } }, { a: { $type: 'number' } }] }, [3, 6]],
    ['embedded document equality is exact', { a: { x: 1 } }, [6]],
    ['deep dotted path into a leaf array', { 'nested.deep.v': 2 }, [6]],
    ['numeric path component addresses an array position', { 'arr.1.b': 2 }, [1]],
    ['_id $in', { _id: { $in: [2, 4, 99] } }, [2, 4]],
    ['empty $in matches nothing', { _id: { $in: [] } }, []],
    ['$expr with an aggregation expression', { $expr: { $lt: [{ $size: { $ifNull: ['$tags', []] } }, 1] } }, [2, 4, 5, 6]],
  ])('%s', async (_name, filter, expected) => {
    expect(await ids(filter)).toEqual(expected);
  });

  it('rejects an unknown operator with a BadValue error rather than a crash', async () => {
    await expect(col.find({ a: { $bogus: 1 } }).toArray()).rejects.toMatchObject({ code: 2 });
  });

  it('counts with a filter, skip and limit', async () => {
    expect(await col.countDocuments({ s: /mith/ })).toBe(4);
    expect(await col.countDocuments({ s: /mith/ }, { skip: 1, limit: 2 })).toBe(2);
    expect(await col.estimatedDocumentCount()).toBe(6);
  });

  it('returns distinct values, flattening arrays', async () => {
    expect(await col.distinct('tags')).toEqual(['x', 'y']);
    expect(await col.distinct('arr.c', { _id: { $lte: 4 } })).toEqual(['p', 'q', 'r']);
  });

  it('follows MongoDB on null through arrays of documents and scalars', async () => {
    const c = h.db.collection<AnyDoc>('dotted_null');
    await c.insertMany([
      { _id: 1, a: [{ b: 5 }] },
      { _id: 2, a: [{}] },
      { _id: 3, a: [] },
      { _id: 4, a: [{}, { b: 5 }] },
      { _id: 5, a: [5, { b: 5 }] },
    ]);
    const q = async (f: AnyDoc) => (await c.find(f).sort({ _id: 1 }).toArray()).map((d) => d._id);
    expect(await q({ 'a.b': { $in: [null] } })).toEqual([2, 4]);
    expect(await q({ 'a.b': null })).toEqual([2, 4]);
    await c.createIndex({ 'a.b': 1 });
    expect(await q({ 'a.b': null })).toEqual([2, 4]);
    expect(await q({ 'a.b': { $ne: null } })).toEqual([1, 3, 5]);
  });
});
