import type { Resource } from 'fhir/r4';
import { startTestServer, type TestServer } from '../helpers/server';
import { mergeParameters, patient, store } from './support';

/**
 * A merge racing writes to the same record: each write either lands and ends up on the target, or is refused
 * cleanly (409 while the merge holds the patients, 422 once the source is merged away) and leaves nothing. No
 * resource is left referencing the source, none is lost, no update is lost.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const observation = (id: string, patientId: string, note?: string): Resource =>
  ({
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { text: 'raced' },
    subject: { reference: `Patient/${patientId}` },
    ...(note ? { note: [{ text: note }] } : {}),
  }) as Resource;

interface Attempt {
  kind: 'create' | 'update';
  id: string;
  note?: string;
  status: number;
}

describe('a merge racing concurrent writes to the record', () => {
  it('loses nothing and leaves no resource half-merged', async () => {
    const existing = Array.from({ length: 150 }, (_, i) => observation(`race-${i}`, 'race-src'));
    await store(server, [patient('race-src'), patient('race-tgt'), ...existing]);

    let merging = true;
    const attempts: Attempt[] = [];
    // Four writers, each writing in turn until the merge has answered and twice more after it (a create and an update,
    // so writes that surely follow the merge are among the attempts: a merge waits for the writes already in flight,
    // which then all succeed): creates naming the source (PUT, so a refused one can be checked absent) and updates of
    // resources being moved (each adding a note that must survive).
    const writer = async (w: number) => {
      for (let n = 0, after = 0; merging || n < 3 || after < 2; n++) {
        if (!merging) after++;
        if (n % 2 === 0) {
          const id = `race-new-${w}-${n}`;
          const res = await server.json('PUT', `Observation/${id}`, observation(id, 'race-src'));
          attempts.push({ kind: 'create', id, status: res.status });
        } else {
          const id = `race-${(w * 37 + n) % 150}`;
          const current = (await server.json('GET', `Observation/${id}`)).body;
          const note = `writer ${w}, write ${n}`;
          const res = await server.json(
            'PUT',
            `Observation/${id}`,
            { ...current, note: [...(current.note ?? []), { text: note }] },
            { 'if-match': `W/"${current.meta.versionId}"` },
          );
          attempts.push({ kind: 'update', id, note, status: res.status });
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    const merged = await server.json('POST', 'Patient/$merge', mergeParameters('race-src', 'race-tgt'));
    merging = false;
    await Promise.all(writers);

    expect(merged.status).toBe(200);
    // Some writes raced the merge and were refused, cleanly; those after it were refused as naming a merged patient.
    const statuses = new Set(attempts.map((a) => a.status));
    for (const s of statuses) expect([200, 201, 409, 412, 422]).toContain(s);
    expect(attempts.filter((a) => a.status === 422).length).toBeGreaterThan(0);

    for (const a of attempts) {
      const now = await server.json('GET', `Observation/${a.id}`);
      if (a.kind === 'create') {
        if (a.status === 201) expect(now.body.subject).toEqual({ reference: 'Patient/race-tgt' });
        else expect(now.status).toBe(404);
      } else {
        const notes = (now.body.note ?? []).map((x: { text: string }) => x.text);
        if (a.status === 200) expect(notes).toContain(a.note);
        else expect(notes).not.toContain(a.note);
      }
    }
    // Nothing references the source; everything that landed is on the target.
    expect((await server.json('GET', 'Observation?subject=Patient/race-src&_summary=count')).body.total).toBe(0);
    const created = attempts.filter((a) => a.kind === 'create' && a.status === 201).length;
    expect((await server.json('GET', 'Observation?subject=Patient/race-tgt&_summary=count')).body.total).toBe(150 + created);
  }, 180_000);
});
