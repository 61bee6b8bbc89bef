import type { AuditEvent } from 'fhir/r4';
import { AuditCollection } from '../../src/store/audit-collection';
import { type StoredDocument, storedDocumentOf } from '../../src/store/stored-document';
import { type TestDatabase, openTestDatabase } from '../audit/database';

/** The AuditEvent collection as the audit trail writes it: batches stored whole, the newest id read back. */
let t: TestDatabase;
let events: AuditCollection;
beforeEach(async () => {
  t = await openTestDatabase();
  events = new AuditCollection(t.db);
});
afterEach(() => t.close());

const lu = new Date('2026-01-01T00:00:00Z');
const event = (id: string): AuditEvent => ({
  resourceType: 'AuditEvent',
  id,
  type: { code: 'rest' },
  recorded: lu.toISOString(),
  agent: [{ requestor: true }],
  source: { observer: { display: 'test' } },
});
const doc = (id: string): StoredDocument => storedDocumentOf(id, 1, lu, event(id), { s: { e: [] }, c: [] });
const ids = async () => {
  const out: string[] = [];
  for await (const d of events.inIdOrder()) out.push(d._id);
  return out;
};

describe('AuditCollection', () => {
  it('stores a batch as current documents of version 1, each event its own resource text', async () => {
    expect(await events.insertAll([doc('e-2'), doc('e-1')])).toBe(true);
    const stored = await t.db.collection<StoredDocument>(AuditCollection.TYPE).findOne({ _id: 'e-1' });
    expect(stored).toMatchObject({ _id: 'e-1', vid: 1, lu, del: false, c: [] });
    expect(JSON.parse(stored!.r)).toEqual(event('e-1'));
    expect(await ids()).toEqual(['e-1', 'e-2']);
  });

  it('answers false and stores nothing of a batch when one of its ids is taken', async () => {
    await events.insertAll([doc('e-2')]);
    expect(await events.insertAll([doc('e-1'), doc('e-2'), doc('e-3')])).toBe(false);
    expect(await ids()).toEqual(['e-2']);
  });

  it('reads the highest id within a range, ignoring ids outside it', async () => {
    await events.insertAll([doc('a-1'), doc('a-3'), doc('a-2'), doc('z')]);
    expect(await events.last({ $gte: 'a-0', $lte: 'a-9' })).toMatchObject({ _id: 'a-3' });
    expect(await events.last({ $gte: 'b-0', $lte: 'b-9' })).toBeNull();
  });
});
