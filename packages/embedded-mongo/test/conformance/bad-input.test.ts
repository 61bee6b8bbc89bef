/** Malformed commands get MongoDB error replies (ok: 0 with a code), never a dropped connection or a crash. */
import { MongoServerError } from 'mongodb';
import { Harness, openHarness } from '../harness';

type AnyDoc = any;

describe('malformed commands', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
    await h.db.collection('x').insertOne({ a: 1 });
  });
  afterAll(() => h.close());

  it.each<[string, AnyDoc]>([
    ['a filter that is not a document', { find: 'x', filter: 5 }],
    ['an unknown query operator', { find: 'x', filter: { a: { $nope: 1 } } }],
    ['an invalid regex', { find: 'x', filter: { a: { $regex: '(' } } }],
    ['a negative skip', { find: 'x', skip: -1 }],
    ['a bad sort direction', { find: 'x', sort: { a: 'sideways' } }],
    ['documents that are not an array', { insert: 'x', documents: 5 }],
    ['an update statement without u', { update: 'x', updates: [{ q: {} }] }],
    ['an unknown update operator', { update: 'x', updates: [{ q: {}, u: { $explode: { a: 1 } } }] }],
    ['a delete limit other than 0 or 1', { delete: 'x', deletes: [{ q: {}, limit: 5 }] }],
    ['a pipeline that is not an array', { aggregate: 'x', pipeline: {}, cursor: {} }],
    ['an unknown pipeline stage', { aggregate: 'x', pipeline: [{ $teleport: {} }], cursor: {} }],
    ['an unsupported index type', { createIndexes: 'x', indexes: [{ key: { a: 'text' }, name: 'a_text' }] }],
    ['an unknown cursor', { getMore: 12345, collection: 'x' }],
    ['a findAndModify with both update and remove', { findAndModify: 'x', query: {}, update: { $set: { a: 2 } }, remove: true }],
    ['a collection name that is not a string', { find: 7 }],
  ])('answers %s with an error reply', async (_name, command) => {
    const reply = await h.db.command(command).catch((e: unknown) => e);
    // Write commands may report a bad statement as a per-statement write error instead of failing as a whole.
    const code = reply instanceof MongoServerError ? reply.code : (reply as AnyDoc).writeErrors?.[0]?.code;
    expect(typeof code).toBe('number');
    // The connection is still usable afterwards.
    expect(await h.db.collection('x').countDocuments()).toBe(1);
  });
});
