import type { Basic, Bundle, Resource } from 'fhir/r4';
import { HOLD_GUARD_COLLECTION, STRIPES, dropGuards, markDestroying } from '../../src/retention/hold-guard';
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
    .collection<{ _id: string; n: number }>(HOLD_GUARD_COLLECTION)
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

describe('deletes within one record', () => {
  it('run together without conflicting: each writes a guard of its own and runs once', async () => {
    const paths = await storeRecord('busy', 32);
    const answers = await Promise.all(paths.map((p) => server.json('DELETE', p)));
    expect(answers.map((a) => a.status)).toEqual(paths.map(() => 200));
    expect(paths.map((p) => attempts.get(p))).toEqual(paths.map(() => 1));
    const guards = await guardsOf('busy');
    expect(guards).toHaveLength(paths.length);
    for (const g of guards) {
      expect(g._id).toMatch(/^Patient\/busy#\d+$/);
      expect(Number(g._id.split('#')[1])).toBeLessThan(STRIPES);
      expect(g.n).toBe(1);
    }
  });

  it('in one transaction Bundle write one guard of the record', async () => {
    const paths = await storeRecord('bundled', 40);
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: paths.map((url) => ({ request: { method: 'DELETE', url } })) };
    expect((await server.json<Bundle>('POST', '', bundle)).status).toBe(200);
    const guards = await guardsOf('bundled');
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
