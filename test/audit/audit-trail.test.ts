import type { AuditEvent, Parameters } from 'fhir/r4';
import type { Db } from 'mongodb';
import type { AuditInput } from '../../src/audit/audit-input';
import { AuditTrail, type AuditTrailOptions, UNANSWERED } from '../../src/audit/audit-trail';
import { AuditCollection } from '../../src/store/audit-collection';
import { CHAIN_EXTENSION_URL, readLink } from '../../src/audit/hash-chain';
import { SUBMITTED_BY_URL } from '../../src/audit/origin';
import type { StoredDocument } from '../../src/store/stored-document';
import { type TestDatabase, openTestDatabase } from './database';

const source = { sourceName: 'fhirstone-test', baseUrl: 'http://127.0.0.1:8080/fhir' };
const submitter = { clientId: 'device-gateway', unrestricted: false };
const read = (i: number, patient = 'p1'): AuditInput => ({
  interaction: 'read',
  resourceType: 'Observation',
  id: `o${i}`,
  patientIds: [patient],
  status: 200,
  clientId: 'app',
});

function param(p: Parameters, name: string) {
  return p.parameter?.find((x) => x.name === name);
}
const breaks = (p: Parameters) =>
  (p.parameter ?? [])
    .filter((x) => x.name === 'break')
    .map((b) => Object.fromEntries((b.part ?? []).map((x) => [x.name, x.valueCode ?? x.valueId ?? x.valueDecimal ?? x.valueString])));

describe('AuditTrail', () => {
  let t: TestDatabase;
  let db: Db;
  const errors: string[] = [];
  const trail = (opts: Partial<AuditTrailOptions> = {}) => new AuditTrail(db, { ...source, onError: (m) => errors.push(m), ...opts });
  const events = () => db.collection<StoredDocument>('AuditEvent');

  beforeEach(async () => {
    t = await openTestDatabase();
    db = t.db;
    errors.length = 0;
  });
  afterEach(() => t.close());

  it('stores the event of a request before record resolves, as the current version only (it is its own history)', async () => {
    const a = trail();
    await a.record(read(1));
    expect(a.pending).toBe(0);
    const docs = await events().find().sort({ _id: 1 }).toArray();
    expect(docs.map((d) => d._id)).toEqual(['audit-0000000000000001']);
    expect(docs[0]).toMatchObject({ vid: 1, del: false });
    const stored = JSON.parse(docs[0].r) as AuditEvent;
    expect(stored).toMatchObject({ resourceType: 'AuditEvent', id: docs[0]._id, meta: { versionId: '1' } });
    expect(stored.entity?.[1].what?.reference).toBe('Observation/o1');
    expect(await db.collection('AuditEvent_history').countDocuments()).toBe(0);
    await a.close();
  });

  it('commits in groups: the events recorded together in one write, those recorded while it runs in the next', async () => {
    const a = trail();
    const insertAll = AuditCollection.prototype.insertAll;
    let meanwhile: Promise<void>[] = [];
    const inserts = jest.spyOn(AuditCollection.prototype, 'insertAll').mockImplementation(function (this: AuditCollection, docs) {
      // While the lone event's write runs, four more requests finish.
      if (docs.length === 1) meanwhile = [5, 6, 7, 8].map((i) => a.record(read(i)));
      return insertAll.call(this, docs);
    });
    await Promise.all([1, 2, 3].map((i) => a.record(read(i))));
    await a.record(read(4));
    await Promise.all(meanwhile);
    expect(inserts.mock.calls.map(([docs]) => docs.length)).toEqual([3, 1, 4]);
    inserts.mockRestore();
    expect(param(await a.verifyChain(), 'intact')?.valueBoolean).toBe(true);
    await a.close();
  });

  it('lets the requests answered in the same turn as a commit join the next batch', async () => {
    const a = trail();
    const insertAll = AuditCollection.prototype.insertAll;
    let meanwhile: Promise<void>[] = [];
    const inserts = jest.spyOn(AuditCollection.prototype, 'insertAll').mockImplementation(async function (this: AuditCollection, docs) {
      if (docs.length > 1) return insertAll.call(this, docs);
      // Two requests finish while the lone event's write runs; two more are answered by the store in the turn its
      // commit is acknowledged, just after it (their callbacks queued behind the commit's).
      meanwhile = [2, 3].map((i) => a.record(read(i)));
      const stored = await insertAll.call(this, docs);
      setImmediate(() => meanwhile.push(...[4, 5].map((i) => a.record(read(i)))));
      return stored;
    });
    await a.record(read(1));
    await Promise.all(meanwhile);
    await a.flush();
    expect(inserts.mock.calls.map(([docs]) => docs.length)).toEqual([1, 4]);
    inserts.mockRestore();
    await a.close();
  });

  it('indexes stored events for search, with the patient compartment', async () => {
    const a = trail();
    a.record(read(1, 'p42'));
    await a.close();
    const doc = await events().findOne({});
    expect(doc?.c).toContain('Patient/p42');
    expect(doc?.s).toBeDefined();
  });

  it('writes many events in batches, in order, as one intact chain', async () => {
    const a = trail({ maxBatch: 50 });
    for (let i = 0; i < 260; i++) a.record(read(i));
    await a.flush();
    expect(await events().countDocuments()).toBe(260);
    const report = await a.verifyChain();
    expect(param(report, 'intact')?.valueBoolean).toBe(true);
    expect(param(report, 'checked')?.valueInteger).toBe(260);
    expect(param(report, 'lastSequence')?.valueDecimal).toBe(260);
    const last = JSON.parse((await events().findOne({ _id: 'audit-0000000000000260' }))!.r) as AuditEvent;
    expect(last.entity?.[1].what?.reference).toBe('Observation/o259');
    await a.close();
  });

  it('loses no event on close, and refuses events after it', async () => {
    const a = trail();
    const recorded = [...Array(30)].map((_, i) => a.record(read(i)));
    await a.close();
    await Promise.all(recorded);
    expect(await events().countDocuments()).toBe(30);
    await expect(a.record(read(99))).rejects.toThrow(/not accepting/);
    expect(a.pending).toBe(0);
    expect(errors.some((e) => e.startsWith('event after close'))).toBe(true);
  });

  it('never throws into the request path: input it cannot turn into an event is refused', async () => {
    const a = trail();
    let recorded: Promise<void> | undefined;
    expect(() => (recorded = a.record({ interaction: 'nonsense' as never, status: 200 }))).not.toThrow();
    await expect(recorded).rejects.toThrow();
    expect(errors).toEqual(['could not build an audit event']);
  });

  it('refuses the requests waiting on a failed write, and stores their events as not answered at the next write', async () => {
    const a = trail();
    const inserts = jest.spyOn(AuditCollection.prototype, 'insertAll').mockRejectedValueOnce(new Error('store unreachable'));
    const refused = a.record(read(1));
    const submitted = a.submit(
      { resourceType: 'AuditEvent', type: { code: 'x' }, recorded: '2026-01-01T00:00:00Z', agent: [{ requestor: true }], source: { observer: {} } },
      submitter,
    );
    await expect(refused).rejects.toThrow('store unreachable');
    // The client that submitted an event is told it was not stored: it is not kept (it may send it again).
    await expect(submitted).rejects.toThrow('store unreachable');
    expect(a.pending).toBe(1);
    await a.record(read(2));
    inserts.mockRestore();
    const stored = (await events().find().sort({ _id: 1 }).toArray()).map((d) => JSON.parse(d.r) as AuditEvent);
    expect(stored.map((e) => [e.entity?.[1].what?.reference, e.outcome, e.outcomeDesc])).toEqual([
      ['Observation/o1', '8', `HTTP 503: ${UNANSWERED}`],
      ['Observation/o2', '0', undefined],
    ]);
    expect(param(await a.verifyChain(), 'intact')?.valueBoolean).toBe(true);
    await a.close();
  });

  it('keeps events queued when the database stays unreachable, and reports them on close', async () => {
    const a = trail({ closeAttempts: 1 });
    await t.client.close();
    await expect(a.record(read(1))).rejects.toThrow();
    expect(a.pending).toBe(1);
    await expect(a.close()).rejects.toThrow(/unwritten events/);
    expect(errors.some((e) => e.startsWith('unwritten audit event: {"resourceType":"AuditEvent"'))).toBe(true);
  });

  it('continues the chain after a restart', async () => {
    const first = trail();
    first.record(read(1));
    first.record(read(2));
    await first.close();
    const second = trail();
    second.record(read(3));
    await second.close();
    expect(param(await second.verifyChain(), 'intact')?.valueBoolean).toBe(true);
    expect(param(await second.verifyChain(), 'lastSequence')?.valueDecimal).toBe(3);
  });

  it('keeps one chain when two instances write to the same database', async () => {
    const headReads = jest.spyOn(AuditTrail.prototype as unknown as { readHead(): Promise<unknown> }, 'readHead');
    const a = trail({ maxBatch: 7 });
    const b = trail({ maxBatch: 5 });
    for (let i = 0; i < 40; i++) {
      a.record(read(i));
      b.record(read(1000 + i));
    }
    await Promise.all([a.flush(), b.flush()]);
    // Both started from the same head, so at least one collided, re-read the head and re-chained.
    expect(headReads.mock.calls.length).toBeGreaterThan(2);
    headReads.mockRestore();
    expect(await events().countDocuments()).toBe(80);
    const report = await a.verifyChain();
    expect(breaks(report)).toEqual([]);
    expect(param(report, 'intact')?.valueBoolean).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('stores every string of an event well-formed, so a lone surrogate cannot make the chain report a break', async () => {
    const a = trail();
    a.record({ ...read(1), status: 401, clientId: '\ud800x', outcomeDescription: 'issuer "\udc00" is not trusted' });
    const stored = await a.submit(
      {
        resourceType: 'AuditEvent',
        type: { code: 'x' },
        recorded: '2026-01-01T00:00:00Z',
        agent: [{ requestor: true, who: { display: 'a\ud800b' } }],
        source: { observer: { display: '\udfff' } },
      },
      submitter,
    );
    expect(stored.agent[0].who?.display).toBe('a\ufffdb');
    const report = await a.verifyChain();
    expect(breaks(report)).toEqual([]);
    expect(param(report, 'breaks')?.valueInteger).toBe(0);
    const first = JSON.parse((await events().findOne({ _id: 'audit-0000000000000001' }))!.r) as AuditEvent;
    expect(first.outcomeDesc).toBe('HTTP 401: issuer "\ufffd" is not trusted');
    await a.close();
  });

  it('appends a client-supplied AuditEvent to the chain', async () => {
    const a = trail();
    a.record(read(1));
    const stored = await a.submit(
      {
        resourceType: 'AuditEvent',
        id: 'client-chosen',
        type: { code: 'x' },
        recorded: '2026-01-01T00:00:00Z',
        agent: [{ requestor: true }],
        source: { observer: { display: 'device' } },
        extension: [{ url: CHAIN_EXTENSION_URL, valueString: 'forged' }],
      },
      submitter,
    );
    expect(stored.id).toBe('audit-0000000000000002');
    expect(readLink(stored)?.sequence).toBe(2);
    expect(stored.extension?.map((e) => e.url)).toEqual([SUBMITTED_BY_URL, CHAIN_EXTENSION_URL]);
    expect(param(await a.verifyChain(), 'intact')?.valueBoolean).toBe(true);
    await a.close();
  });
});

describe('AuditEvent/$verify-chain', () => {
  let t: TestDatabase;
  let a: AuditTrail;
  const id = (n: number) => `audit-${String(n).padStart(16, '0')}`;
  const collection = () => t.db.collection<StoredDocument>('AuditEvent');

  beforeEach(async () => {
    t = await openTestDatabase();
    a = new AuditTrail(t.db, { ...source, onError: () => undefined });
    for (let i = 1; i <= 10; i++) a.record(read(i));
    await a.flush();
  });
  afterEach(async () => {
    await a.close();
    await t.close();
  });

  const rewrite = async (n: number, change: (e: AuditEvent) => void) => {
    const doc = (await collection().findOne({ _id: id(n) }))!;
    const event = JSON.parse(doc.r) as AuditEvent;
    change(event);
    await collection().updateOne({ _id: id(n) }, { $set: { r: JSON.stringify(event) } });
    return event;
  };

  it('reports an untouched trail as intact, with the hash to anchor elsewhere', async () => {
    const report = await a.verifyChain();
    expect(param(report, 'intact')?.valueBoolean).toBe(true);
    expect(param(report, 'lastHash')?.valueString).toMatch(/^[0-9a-f]{64}$/);
  });

  it('detects a modified event and names it', async () => {
    await rewrite(4, (e) => {
      e.outcome = '0';
      e.agent[0].who = { display: 'someone else' };
    });
    const report = await a.verifyChain();
    expect(param(report, 'intact')?.valueBoolean).toBe(false);
    expect(breaks(report)).toEqual([{ kind: 'modified', id: id(4), sequence: 4, detail: 'content does not match its hash' }]);
  });

  it('detects an event modified and re-hashed, at the next link', async () => {
    const { recomputeHash } = await import('../../src/audit/hash-chain');
    await rewrite(6, (e) => {
      e.entity = [];
      const link = e.extension![0].extension!;
      link.find((x) => x.url === 'hash')!.valueString = recomputeHash(e);
    });
    // The re-hashed event itself still differs from its stored search fields.
    expect(breaks(await a.verifyChain())).toEqual([
      expect.objectContaining({ kind: 'misindexed', id: id(6) }),
      expect.objectContaining({ kind: 'relinked', id: id(7), sequence: 7 }),
    ]);
  });

  it('detects search or compartment fields edited to hide an event, which the hash does not cover', async () => {
    await collection().updateOne({ _id: id(3) }, { $set: { c: [] } });
    expect(breaks(await a.verifyChain())).toEqual([expect.objectContaining({ kind: 'misindexed', id: id(3) })]);
  });

  it('stores the disclosure key of an event recording a disclosure, and detects it edited or removed to hide the disclosure', async () => {
    const recipient = { name: 'Lawyers LLP', outsideCoveredEntity: true };
    a.record({ ...read(11), interaction: 'read', policy: { clientId: 'law-app', recipient, unrestricted: false } });
    a.record({ ...read(12), interaction: 'read', policy: { clientId: 'law-app', recipient, unrestricted: false } });
    await a.flush();
    const stored = await collection().findOne({ _id: id(11) });
    expect(stored?.d).toEqual({ p: ['Patient/p1'], at: expect.any(Date) });
    expect((await collection().findOne({ _id: id(1) }))?.d).toBeUndefined();
    await collection().updateOne({ _id: id(11) }, { $unset: { d: '' } });
    await collection().updateOne({ _id: id(12) }, { $set: { 'd.p': ['Patient/someone-else'] } });
    expect(breaks(await a.verifyChain())).toEqual([
      expect.objectContaining({ kind: 'misindexed', id: id(11), detail: 'stored disclosure key does not match the event' }),
      expect.objectContaining({ kind: 'misindexed', id: id(12) }),
    ]);
  });

  it('ignores the AuditEvent_history an older version wrote: vread and _history no longer read it', async () => {
    await t.db.collection<{ _id: string; r: string }>('AuditEvent_history').insertOne({ _id: `${id(4)}/1`, r: '{"resourceType":"AuditEvent"}' });
    expect(param(await a.verifyChain(), 'intact')?.valueBoolean).toBe(true);
  });

  it('detects a deleted event', async () => {
    await collection().deleteOne({ _id: id(5) });
    expect(breaks(await a.verifyChain())).toEqual([{ kind: 'missing', id: id(6), sequence: 6, detail: 'events 5 to 5 are missing' }]);
  });

  it('detects events removed from the end of the trail', async () => {
    await collection().deleteMany({ _id: { $in: [id(9), id(10)] } });
    expect(breaks(await a.verifyChain())).toEqual([expect.objectContaining({ kind: 'truncated', sequence: 10 })]);
  });

  it('detects an event flagged as deleted in place', async () => {
    await collection().updateOne({ _id: id(2) }, { $set: { del: true } });
    expect(breaks(await a.verifyChain())).toEqual([expect.objectContaining({ kind: 'modified', id: id(2) })]);
  });

  it('counts every break beyond the ones it lists, and lists the first break of a kind found after those', async () => {
    for (let i = 11; i <= 130; i++) a.record(read(i));
    await a.flush();
    await collection().updateMany({ _id: { $lte: id(110) } }, { $set: { c: [] } });
    await collection().deleteOne({ _id: id(125) });
    const report = await a.verifyChain();
    expect(param(report, 'breaks')?.valueInteger).toBe(111);
    const listed = breaks(report);
    expect(listed).toHaveLength(101);
    expect(listed[100]).toMatchObject({ kind: 'missing', id: id(126) });
    const counts = (report.parameter ?? []).filter((x) => x.name === 'breakCount').map((x) => x.part?.map((y) => y.valueCode ?? y.valueInteger));
    expect(counts).toEqual([
      ['misindexed', 110],
      ['missing', 1],
    ]);
  });

  it('detects a document written around the trail', async () => {
    await collection().insertOne({ _id: 'f00d', vid: 1, lu: new Date(), del: false, r: '{"resourceType":"AuditEvent"}' });
    expect(breaks(await a.verifyChain())).toEqual([expect.objectContaining({ kind: 'unchained', id: 'f00d' })]);
  });
});
