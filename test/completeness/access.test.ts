import type { TestServer } from '../helpers/server';
import { daysAgo, encounter, inZone, patient } from './charts';
import { as, startPolicyServer } from './policies';

describe("Encounter/$completeness under the caller's SMART policy", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startPolicyServer();
    for (const id of ['p1', 'p2']) {
      const res = await server.json('PUT', `Patient/${id}`, patient(id), as('admin'));
      expect(res.status).toBe(201);
    }
    for (const [id, p] of [
      ['e1', 'p1'],
      ['e2', 'p2'],
    ]) {
      const res = await server.json('PUT', `Encounter/${id}`, encounter(id, { patient: p, end: inZone(daysAgo(3), 'Z') }), as('admin'));
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => server.close());

  it("shows a patient-bound token its own encounter's deficiencies, and another patient's encounter as absent (404)", async () => {
    const own = await server.json('GET', 'Encounter/e1/$completeness', undefined, as('patient-p1'));
    expect(own.status).toBe(200);
    expect(own.body.entry.map((e: any) => e.resource.for.reference)).toContain('Patient/p1');
    expect((await server.json('GET', 'Encounter/e2/$completeness', undefined, as('patient-p1'))).status).toBe(404);
  });

  it('refuses a token that cannot search a type the rules read (403): its answer would be wrong, not smaller', async () => {
    expect((await server.json('GET', 'Encounter/e1/$completeness', undefined, as('no-documents'))).status).toBe(403);
  });

  it('refuses a token that sees only part of a type the rules read (a granular scope): the discharge summary could be hidden', async () => {
    expect((await server.json('GET', 'Encounter/e1/$completeness', undefined, as('clinical-notes'))).status).toBe(403);
  });

  it('names the patient in the AuditEvent of the call', async () => {
    await server.json('GET', 'Encounter/e1/$completeness', undefined, as('admin'));
    let events: any[] = [];
    for (let i = 0; i < 50 && events.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await server.json('GET', 'AuditEvent?entity=Encounter/e1&_count=50', undefined, as('admin'));
      events = (res.body.entry ?? []).map((e: any) => e.resource).filter((e: any) => JSON.stringify(e).includes('completeness'));
    }
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events[0].entity)).toContain('Patient/p1');
  });
});
