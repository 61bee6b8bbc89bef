import type { Basic, Bundle, Resource } from 'fhir/r4';
import { HOLD_GUARD_COLLECTION, STRIPES, dropGuards, markDestroying } from '../../src/retention/hold-guard';
import { flagHeldRecords } from '../../src/retention/holds-in-force';
import type { WriteHook } from '../../src/store/write-hooks';
import { startTestServer, type TestServer } from '../helpers/server';
import { store } from '../merge/support';

/**
 * The guards that make a hold meet the deletes it forbids (src/retention/hold-guard.ts): deletes in one record do
 * not meet each other, a hold placement meets every one of them, and a record being destroyed cannot be held.
 * A transaction run again after a write conflict runs its write hooks again: a hook registered first counts the
 * attempts of every delete, so a conflict shows as a second attempt.
 */
const attempts = new Map<string, number>();
const countAttempts: WriteHook = {
  name: 'count-attempts',
  async before(_repo, e) {
    if (e.op === 'delete') attempts.set(`${e.type}/${e.id}`, (attempts.get(`${e.type}/${e.id}`) ?? 0) + 1);
  },
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, (s) => ({ ...s, writeHooks: [countAttempts, ...(s.writeHooks ?? [])] }));
});
afterAll(() => server.close());

const guardsOf = (patientId: string) =>
  server.systemRepo.db
    .collection<{ _id: string; n: number; held?: boolean }>(HOLD_GUARD_COLLECTION)
    .find({ _id: { $regex: `^Patient/${patientId}(#|$)` } })
    .toArray();

const observations = (patientId: string, n: number): Resource[] =>
  Array.from({ length: n }, (_, i) => ({
    resourceType: 'Observation',
    id: `${patientId}-obs-${i}`,
    status: 'final',
    code: { text: 'guarded' },
    subject: { reference: `Patient/${patientId}` },
  })) as Resource[];

async function storeRecord(patientId: string, n: number): Promise<string[]> {
  const obs = observations(patientId, n);
  await store(server, [{ resourceType: 'Patient', id: patientId } as Resource, ...obs]);
  return obs.map((o) => `Observation/${o.id}`);
}

const holdBody = (matter: string) => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'matter', valueString: matter },
    { name: 'reason', valueString: 'guard test' },
  ],
});

/** The guard writes since `before` (guardsOf taken earlier), by guard: the record's creation wrote one too. */
async function writesSince(patientId: string, before: Array<{ _id: string; n: number }>): Promise<Array<{ _id: string; n: number }>> {
  const was = new Map(before.map((g) => [g._id, g.n]));
  return (await guardsOf(patientId)).map((g) => ({ _id: g._id, n: g.n - (was.get(g._id) ?? 0) })).filter((g) => g.n > 0);
}

describe('deletes within one record', () => {
  it('run together without conflicting: each writes a guard of its own and runs once', async () => {
    const paths = await storeRecord('busy', 32);
    const before = await guardsOf('busy');
    const answers = await Promise.all(paths.map((p) => server.json('DELETE', p)));
    expect(answers.map((a) => a.status)).toEqual(paths.map(() => 200));
    expect(paths.map((p) => attempts.get(p))).toEqual(paths.map(() => 1));
    const guards = await writesSince('busy', before);
    expect(guards).toHaveLength(paths.length);
    for (const g of guards) {
      expect(g._id).toMatch(/^Patient\/busy#\d+$/);
      expect(Number(g._id.split('#')[1])).toBeLessThan(STRIPES);
      expect(g.n).toBe(1);
    }
  });

  it('in one transaction Bundle write one guard of the record', async () => {
    const paths = await storeRecord('bundled', 40);
    const before = await guardsOf('bundled');
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: paths.map((url) => ({ request: { method: 'DELETE', url } })) };
    expect((await server.json<Bundle>('POST', '', bundle)).status).toBe(200);
    const guards = await writesSince('bundled', before);
    expect(guards).toHaveLength(1);
    expect(guards[0].n).toBe(1);
  });
});

describe('a hold placed while many deletes of its record run', () => {
  it('meets every one of them: each delete went before the hold or is refused with 409', async () => {
    for (let round = 0; round < 3; round++) {
      const patientId = `contested-${round}`;
      const paths = await storeRecord(patientId, 12);
      const [hold, ...deletes] = await Promise.all([
        server.json<Basic>('POST', `Patient/${patientId}/$hold`, holdBody(`CONTESTED-${round}`)),
        ...paths.map((p) => server.json('DELETE', p)),
      ]);
      expect(hold.status).toBe(201);
      const placed = Date.parse(hold.body.meta!.lastUpdated!);
      for (const [i, removal] of deletes.entries()) {
        expect([200, 409]).toContain(removal.status);
        const history = (await server.json<Bundle>('GET', `${paths[i]}/_history`)).body;
        const deletion = history.entry?.find((e) => e.request?.method === 'DELETE');
        if (removal.status === 409) expect(deletion).toBeUndefined();
        else expect(Date.parse(deletion!.response!.lastModified!)).toBeLessThan(placed);
      }
      expect(await guardsOf(patientId)).toHaveLength(1 + STRIPES);
    }
  });
});

describe('a record being destroyed in parts', () => {
  it('can no longer be held until its guards are dropped', async () => {
    await storeRecord('going', 1);
    await server.systemRepo.inTransaction((tx) => markDestroying(tx, 'going', 'job-1'));
    const refused = await server.json('POST', 'Patient/going/$hold', holdBody('LATE'));
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain('is being destroyed (destruction job job-1)');
    expect((await server.json('DELETE', 'Observation/going-obs-0')).status).toBe(200);
    await server.systemRepo.inTransaction((tx) => dropGuards(tx, ['going']));
    expect(await guardsOf('going')).toEqual([]);
    expect((await server.json('POST', 'Patient/going/$hold', holdBody('LATE'))).status).toBe(201);
  });
});

describe('the held flag on the guards', () => {
  it('is set on every guard of a record by a hold placement, and a delete there is refused', async () => {
    const [path] = await storeRecord('flagged', 1);
    expect((await guardsOf('flagged')).some((g) => g.held)).toBe(false);
    expect((await server.json('POST', 'Patient/flagged/$hold', holdBody('FLAG'))).status).toBe(201);
    const guards = await guardsOf('flagged');
    expect(guards).toHaveLength(1 + STRIPES);
    expect(guards.every((g) => g.held)).toBe(true);
    expect((await server.json('DELETE', path)).status).toBe(409);
  });

  it('goes with a held resource an update moves to another record: deleting it there is refused', async () => {
    const [path] = await storeRecord('moved-from', 1);
    await store(server, [{ resourceType: 'Patient', id: 'moved-to' } as Resource]);
    expect((await server.json('POST', `${path}/$hold`, holdBody('MOVE'))).status).toBe(201);
    const moved = { ...observations('moved-from', 1)[0], subject: { reference: 'Patient/moved-to' } };
    expect((await server.json('PUT', path, moved)).status).toBe(200);
    expect((await guardsOf('moved-to')).filter((g) => g.held)).toHaveLength(1 + STRIPES);
    const refused = await server.json('DELETE', path);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain('is under legal hold');
  });

  it('is set at start-up for holds placed before the guards carried it', async () => {
    const [path] = await storeRecord('older', 1);
    expect((await server.json('POST', 'Patient/older/$hold', holdBody('OLD'))).status).toBe(201);
    // A store written by an earlier version: the hold is there, the flags are not.
    await server.systemRepo.db.collection<{ _id: string }>(HOLD_GUARD_COLLECTION).updateMany({ _id: { $regex: '^Patient/older(#|$)' } }, { $unset: { held: '' } });
    // The server's start ran this once for the store (and recorded so); an older store's first start runs it.
    expect(await server.systemRepo.db.collection<{ _id: string }>(HOLD_GUARD_COLLECTION).findOne({ _id: '#flags' })).not.toBeNull();
    await flagHeldRecords(server.systemRepo.db);
    expect((await guardsOf('older')).every((g) => g.held)).toBe(true);
    expect((await server.json('DELETE', path)).status).toBe(409);
  });
});
