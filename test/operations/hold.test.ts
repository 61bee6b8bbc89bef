import type { AuditEvent, Basic } from 'fhir/r4';
import { assertNotHeld } from '../../src/retention';
import { type Caller, type SecureServer, expectOutcome, put, refsOf, startSecureServer } from '../security/support';

/**
 * Legal holds over HTTP: $hold on a record and on one resource, what a hold refuses (every delete path) and what
 * it allows (updates), $release-hold, searching holds, their audit trail, and who may place them.
 */
let server: SecureServer;
let system: Caller;

const LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';
const holdBody = (matter?: string, reason?: string) => ({
  resourceType: 'Parameters',
  parameter: [...(matter === undefined ? [] : [{ name: 'matter', valueString: matter }]), ...(reason === undefined ? [] : [{ name: 'reason', valueString: reason }])],
});
const hold = (caller: Caller, target: string, matter: string, reason = 'Litigation reasonably anticipated') =>
  caller.json('POST', `${target}/$hold`, holdBody(matter, reason));
const release = (caller: Caller, target: string, matter: string, reason = 'Matter settled') => caller.json('POST', `${target}/$release-hold`, holdBody(matter, reason));

/** A patient `id` with an Encounter and two Observations (`<id>-obs-1`, `<id>-obs-2`, code `<id>-code`). */
async function record(id: string): Promise<void> {
  await put(system, { resourceType: 'Patient', id, name: [{ family: id }] });
  await put(system, { resourceType: 'Encounter', id: `${id}-enc`, status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${id}` } });
  for (const n of [1, 2]) {
    await put(system, { resourceType: 'Observation', id: `${id}-obs-${n}`, status: 'final', code: { text: `${id}-code-${n}` }, subject: { reference: `Patient/${id}` } });
  }
}

beforeAll(async () => {
  server = await startSecureServer();
  system = server.system;
  for (const id of ['rec', 'res', 'free', 'rel', 'aud', 'pol']) await record(id);
});
afterAll(() => server.close());

const ext = (basic: Basic, name: string) => basic.extension?.find((e) => e.url === `http://fhirstone.org/fhir/StructureDefinition/legal-hold-${name}`);

describe('a hold on a whole record', () => {
  let placed: Basic;
  beforeAll(async () => {
    const res = await hold(system, 'Patient/rec', 'CV-2024-001', 'Subpoena received');
    expect(res.status).toBe(201);
    placed = res.body;
  });

  it('is a Basic with code legal-hold, the record as subject, matter, reason, status and who placed it when', async () => {
    expect(placed.code.coding).toEqual([{ system: 'http://fhirstone.org/fhir/CodeSystem/record-management', code: 'legal-hold', display: 'Legal hold' }]);
    expect(placed.subject).toEqual({ reference: 'Patient/rec' });
    expect(ext(placed, 'matter')?.valueString).toBe('CV-2024-001');
    expect(ext(placed, 'reason')?.valueString).toBe('Subpoena received');
    expect(ext(placed, 'status')?.valueCode).toBe('open');
    expect(ext(placed, 'record')?.valueReference).toEqual({ reference: 'Patient/rec' });
    const by = ext(placed, 'placed')!.extension!;
    expect(by.find((e) => e.url === 'client')?.valueString).toBe('test-app');
    expect(Date.parse(by.find((e) => e.url === 'at')!.valueDateTime!)).toBeGreaterThan(Date.now() - 60_000);
    expect((await system.json('GET', `Basic/${placed.id}`)).status).toBe(200);
  });

  it('refuses DELETE of the Patient and of every resource of the record with 409 naming the hold', async () => {
    for (const target of ['Patient/rec', 'Encounter/rec-enc', 'Observation/rec-obs-1']) {
      const res = await system.json('DELETE', target);
      expectOutcome(res, 409, 'conflict');
      expect(res.body.issue[0].diagnostics).toContain(`Basic/${placed.id} (matter "CV-2024-001")`);
    }
    expect((await system.json('GET', 'Observation/rec-obs-1')).status).toBe(200);
  });

  it('refuses a conditional delete and a DELETE in a transaction or a batch', async () => {
    expectOutcome(await system.json('DELETE', 'Observation?code:text=rec-code-2'), 409);
    const bundle = (type: string) => ({ resourceType: 'Bundle', type, entry: [{ request: { method: 'DELETE', url: 'Observation/rec-obs-2' } }] });
    expectOutcome(await system.json('POST', '', bundle('transaction')), 409);
    const batch = await system.json('POST', '', bundle('batch'));
    expect(batch.body.entry[0].response.status).toMatch(/^409/);
    expect((await system.json('GET', 'Observation/rec-obs-2')).status).toBe(200);
  });

  it('lets updates go on', async () => {
    const res = await system.json('PUT', 'Observation/rec-obs-1', {
      resourceType: 'Observation',
      id: 'rec-obs-1',
      status: 'amended',
      code: { text: 'rec-code-1' },
      subject: { reference: 'Patient/rec' },
    });
    expect(res.status).toBe(200);
  });

  it('leaves other records alone', async () => {
    expect((await system.json('DELETE', 'Observation/free-obs-1')).status).toBe(200);
  });

  it('answers placing the same matter again with the open hold, and a second matter with a second hold', async () => {
    const again = await hold(system, 'Patient/rec', 'CV-2024-001');
    expect({ status: again.status, id: again.body.id }).toEqual({ status: 200, id: placed.id });
    const second = await hold(system, 'Patient/rec', 'CV-2024-777');
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(placed.id);
  });

  it('cannot be written around: no DELETE, PUT or POST of a legal-hold Basic outside the operations', async () => {
    expectOutcome(await system.json('DELETE', `Basic/${placed.id}`), 409);
    const released = { ...placed, extension: placed.extension!.map((e) => (e.url.endsWith('status') ? { ...e, valueCode: 'released' } : e)) };
    expectOutcome(await system.json('PUT', `Basic/${placed.id}`, released), 409);
    const { id: _id, meta: _meta, ...copy } = placed;
    expectOutcome(await system.json('POST', 'Basic', copy), 409);
  });
});

describe('a hold on one resource', () => {
  it('refuses deleting that resource only; the rest of the record may go', async () => {
    const res = await hold(system, 'Observation/res-obs-1', 'AUDIT-42');
    expect(res.status).toBe(201);
    expect(res.body.subject).toEqual({ reference: 'Observation/res-obs-1' });
    expect(ext(res.body, 'record')?.valueReference).toEqual({ reference: 'Patient/res' });
    expectOutcome(await system.json('DELETE', 'Observation/res-obs-1'), 409);
    expect((await system.json('DELETE', 'Observation/res-obs-2')).status).toBe(200);
  });

  it('counts as a hold on the record for a merge or a destruction (assertNotHeld)', async () => {
    await expect(assertNotHeld(server.systemRepo, ['res'])).rejects.toMatchObject({ category: 'conflict', message: expect.stringContaining('AUDIT-42') });
    await expect(assertNotHeld(server.systemRepo, ['rec', 'free'])).rejects.toMatchObject({ category: 'conflict' });
    await expect(assertNotHeld(server.systemRepo, ['free'])).resolves.toBeUndefined();
  });

  it('refuses holding a hold, and an unknown resource', async () => {
    const basic = (await system.json('GET', 'Basic?hold-matter=AUDIT-42')).body.entry[0].resource as Basic;
    expectOutcome(await hold(system, `Basic/${basic.id}`, 'X'), 422);
    expectOutcome(await hold(system, 'Observation/nothing-here', 'X'), 404);
  });
});

describe('releasing a hold', () => {
  it('records who released it, when and why, and lifts the refusal', async () => {
    const placed = (await hold(system, 'Patient/rel', 'CV-2023-050')).body as Basic;
    expectOutcome(await system.json('DELETE', 'Observation/rel-obs-1'), 409);
    const res = await release(system, 'Patient/rel', 'CV-2023-050', 'Case dismissed');
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(placed.id);
    expect(ext(res.body, 'status')?.valueCode).toBe('released');
    const released = ext(res.body, 'released')!.extension!;
    expect(released.find((e) => e.url === 'reason')?.valueString).toBe('Case dismissed');
    expect(released.find((e) => e.url === 'client')?.valueString).toBe('test-app');
    expect((await system.json('DELETE', 'Observation/rel-obs-1')).status).toBe(200);
    // The placement stays in the hold's history.
    const history = (await system.json('GET', `Basic/${placed.id}/_history`)).body;
    expect(history.entry.map((e: { resource: Basic }) => ext(e.resource, 'status')?.valueCode)).toEqual(['released', 'open']);
  });

  it('answers 422 when no hold of that matter is open, and 400 without matter or reason', async () => {
    expectOutcome(await release(system, 'Patient/rel', 'CV-2023-050'), 422);
    expectOutcome(await release(system, 'Patient/free', 'NEVER-PLACED'), 422);
    expectOutcome(await system.json('POST', 'Patient/free/$hold', holdBody('M-1')), 400);
    expectOutcome(await system.json('POST', 'Patient/free/$hold', holdBody(undefined, 'why')), 400);
    expectOutcome(await system.json('POST', 'Patient/free/$hold', holdBody('  ', 'why')), 400);
    expectOutcome(
      await system.json('POST', 'Patient/free/$hold', {
        resourceType: 'Parameters',
        parameter: [...holdBody('M', 'R').parameter, { name: 'until', valueDate: '2030-01-01' }],
      }),
      400,
    );
  });
});

describe('searching holds', () => {
  it('by matter and by status, with the parameters the CapabilityStatement publishes', async () => {
    expect(refsOf((await system.json('GET', 'Basic?hold-matter=CV-2023-050')).body)).toHaveLength(1);
    const open = refsOf((await system.json('GET', 'Basic?hold-status=open&_count=100')).body);
    const released = refsOf((await system.json('GET', 'Basic?hold-status=released&_count=100')).body);
    const relHold = refsOf((await system.json('GET', 'Basic?hold-matter=CV-2023-050')).body)[0];
    expect(released).toContain(relHold);
    expect(open).not.toContain(relHold);
    expect(refsOf((await system.json('GET', 'Basic?hold-record=Patient/rec&hold-status=open')).body)).toHaveLength(2);
    const metadata = (await server.json('GET', 'metadata')).body;
    const basic = metadata.rest[0].resource.find((r: { type: string }) => r.type === 'Basic');
    const params = basic.searchParam.map((p: { name: string; definition: string }) => [p.name, p.definition]);
    expect(params).toEqual(
      expect.arrayContaining([
        ['hold-matter', 'http://fhirstone.org/fhir/SearchParameter/legal-hold-matter'],
        ['hold-status', 'http://fhirstone.org/fhir/SearchParameter/legal-hold-status'],
        ['hold-record', 'http://fhirstone.org/fhir/SearchParameter/legal-hold-record'],
      ]),
    );
    const operations = metadata.rest[0].resource.find((r: { type: string }) => r.type === 'Observation').operation.map((o: { name: string }) => o.name);
    expect(operations).toEqual(expect.arrayContaining(['hold', 'release-hold']));
  });
});

describe('the audit trail', () => {
  async function eventsFor(basicId: string): Promise<AuditEvent[]> {
    await system.json('GET', 'AuditEvent/$verify-chain');
    const res = await system.json('GET', `AuditEvent?entity=Basic/${basicId}&_count=100`);
    return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
  }

  it('records placing and releasing with the ISO 21089 lifecycle subtype, who, the patient, the hold, its matter and why', async () => {
    const placed = (await hold(system, 'Patient/aud', 'AUD-1', 'Regulator inquiry')).body as Basic;
    await release(system, 'Patient/aud', 'AUD-1', 'Inquiry closed');
    const events = await eventsFor(placed.id!);
    const lifecycle = (e: AuditEvent) => e.subtype?.find((s) => s.system === LIFECYCLE);
    const byCode = (code: string) => events.find((e) => lifecycle(e)?.code === code)!;
    const placing = byCode('hold');
    const releasing = byCode('unhold');
    expect(lifecycle(placing)).toEqual({ system: LIFECYCLE, code: 'hold', display: 'Add Legal Hold Record Lifecycle Event' });
    expect(lifecycle(releasing)?.display).toBe('Remove Legal Hold Record Lifecycle Event');
    for (const [event, why] of [
      [placing, 'Regulator inquiry'],
      [releasing, 'Inquiry closed'],
    ] as const) {
      expect(event.outcome).toBe('0');
      expect(event.agent.some((a) => a.who?.identifier?.value === 'test-app')).toBe(true);
      expect(event.entity?.some((e) => e.what?.reference === 'Patient/aud' && e.role?.code === '1')).toBe(true);
      // Matter and reason name the patient's legal business: sealed under the patient's key, read back by $query-text.
      const entity = event.entity!.find((e) => e.what?.reference === `Basic/${placed.id}`)!;
      expect(entity.detail!.map((d) => [d.type, typeof d.valueBase64Binary])).toEqual([
        ['matter', 'string'],
        ['reason', 'string'],
      ]);
      expect(JSON.stringify(event)).not.toContain('AUD-1');
      expect(JSON.stringify(event)).not.toContain(why);
      const read = (await system.json('GET', `AuditEvent/${event.id}/$query-text`)).body.parameter.filter((p: { name: string }) => p.name === 'detail');
      expect(read.map((p: { part: unknown[] }) => p.part)).toEqual([
        [
          { name: 'entity', valueReference: { reference: `Basic/${placed.id}` } },
          { name: 'type', valueString: 'matter' },
          { name: 'text', valueString: 'AUD-1' },
        ],
        [
          { name: 'entity', valueReference: { reference: `Basic/${placed.id}` } },
          { name: 'type', valueString: 'reason' },
          { name: 'text', valueString: why },
        ],
      ]);
    }
  });

  it('seals why a delete was refused (it names the hold and its matter) under the patient key', async () => {
    await hold(system, 'Patient/aud', 'AUD-2', 'Audit of refusals');
    expect((await system.json('DELETE', 'Observation/aud-obs-2')).status).toBe(409);
    await system.json('GET', 'AuditEvent/$verify-chain');
    const events = (await system.json('GET', 'AuditEvent?entity=Observation/aud-obs-2&patient=aud&_count=100')).body.entry.map(
      (e: { resource: AuditEvent }) => e.resource,
    );
    const refused = events.find((e: AuditEvent) => e.outcomeDesc?.startsWith('HTTP 409'))!;
    expect(refused.outcomeDesc).toBe('HTTP 409: …');
    expect(JSON.stringify(refused)).not.toContain('AUD-2');
    const read = (await system.json('GET', `AuditEvent/${refused.id}/$query-text`)).body.parameter;
    expect(read.find((p: { name: string }) => p.name === 'outcome').valueString).toContain('(matter "AUD-2")');
  });
});

describe('who may place and release holds', () => {
  it('never a patient-bound token, not even on its own record', async () => {
    const patient = await server.patient('pol', 'patient/*.*');
    expectOutcome(await hold(patient, 'Patient/pol', 'P-1'), 403);
    expectOutcome(await hold(patient, 'Observation/pol-obs-1', 'P-1'), 403);
    await hold(system, 'Patient/pol', 'P-2');
    expectOutcome(await release(patient, 'Patient/pol', 'P-2'), 403);
  });

  it('needs write access to Basic and to the held type', async () => {
    expectOutcome(await hold(await server.scoped('system/Patient.* system/Observation.*'), 'Patient/pol', 'P-3'), 403);
    expectOutcome(await hold(await server.scoped('system/Basic.* system/Patient.rs'), 'Patient/pol', 'P-3'), 403);
    expectOutcome(await release(await server.scoped('system/Basic.crs system/Patient.*'), 'Patient/pol', 'P-2'), 403);
    expect((await hold(await server.scoped('system/Basic.* system/Patient.*'), 'Patient/pol', 'P-3')).status).toBe(201);
  });
});
