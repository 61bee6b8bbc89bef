import { randomUUID } from 'node:crypto';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import type { AuditEvent } from 'fhir/r4';
import { signToken, testKey } from '../auth/fixtures';
import { A, B, ISSUER, type Caller, type SecureServer, expectOutcome, put, refsOf, startWithTwoPatients } from './support';
import { eventsWithQuery } from '../helpers/audit-query';

/**
 * The audit trail over HTTP: every request, allowed or refused, leaves an AuditEvent naming who asked, what
 * happened and which patients' data was involved. Events are written in batches off the request path;
 * AuditEvent/$verify-chain waits for the queue to drain, which makes reading the trail deterministic.
 */
let server: SecureServer;
let patientA: Caller;
beforeAll(async () => ({ server, patientA } = await startWithTwoPatients()));
afterAll(() => server.close());

async function verifyChain(): Promise<{ intact: boolean; breaks: Array<{ kind: string; id?: string }> }> {
  const res = await server.system.json('GET', 'AuditEvent/$verify-chain');
  expect(res.status).toBe(200);
  const params = res.body.parameter as Array<{ name: string; valueBoolean?: boolean; part?: Array<{ name: string; valueCode?: string; valueId?: string }> }>;
  return {
    intact: params.find((p) => p.name === 'intact')?.valueBoolean as boolean,
    breaks: params
      .filter((p) => p.name === 'break')
      .map((p) => ({ kind: p.part!.find((x) => x.name === 'kind')!.valueCode!, id: p.part!.find((x) => x.name === 'id')?.valueId })),
  };
}

/** The events matching `query`, read by the system once every queued event is stored. */
async function events(query: string): Promise<AuditEvent[]> {
  await verifyChain();
  const res = await server.system.json('GET', `AuditEvent?${query}&_count=1000`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
}

const subtype = (e: AuditEvent) => e.subtype?.[0]?.code;
const entityRefs = (e: AuditEvent) => (e.entity ?? []).map((x) => x.what?.reference).filter(Boolean);
const patientsNamed = (e: AuditEvent) => (e.entity ?? []).filter((x) => x.role?.code === '1').map((x) => x.what?.reference);

const EVENT_TYPES = 'http://terminology.hl7.org/CodeSystem/audit-event-type';

/** An AuditEvent as a client would POST it, marked by the display of its requestor. */
const clientEvent = (marker: string, type = 'rest'): AuditEvent => ({
  resourceType: 'AuditEvent',
  type: { system: EVENT_TYPES, code: type },
  recorded: new Date().toISOString(),
  agent: [{ requestor: true, who: { display: marker } }],
  source: { observer: { display: 'posted by a test client' } },
});

/** Every stored AuditEvent carrying `marker`, as the system reads the trail. */
async function eventsMarked(marker: string): Promise<AuditEvent[]> {
  return (await events('_count=1000')).filter((e) => JSON.stringify(e).includes(marker));
}

/** A fresh Condition of A, so each test finds exactly its own events. */
async function freshCondition(): Promise<string> {
  const id = `cond-${randomUUID().slice(0, 8)}`;
  await put(server.system, { resourceType: 'Condition', id, subject: { reference: `Patient/${A}` }, code: { text: id } });
  return id;
}

/**
 * The search event whose query has `description` (values sealed, src/audit/query-text.ts) and whose query text, read
 * back with AuditEvent/[id]/$query-text, holds `marker`.
 */
async function searchEvent(description: string, marker: string): Promise<AuditEvent> {
  const searches = (await events('subtype=search')).filter((e) => e.entity?.find((x) => x.role?.code === '24')?.description === description);
  return (await eventsWithQuery(server.system, searches, marker))[0];
}

describe('an AuditEvent for every request', () => {
  it('records a read with outcome 0, the client, the resource and the patient it belongs to', async () => {
    const id = await freshCondition();
    expect((await patientA.json('GET', `Condition/${id}`)).status).toBe(200);
    const [event] = (await events(`entity=Condition/${id}`)).filter((e) => subtype(e) === 'read');
    expect(event).toMatchObject({ action: 'R', outcome: '0' });
    expect(patientsNamed(event)).toEqual([`Patient/${A}`]);
    expect(event.agent.some((a) => a.who?.identifier?.value === 'test-app' && a.requestor)).toBe(true);
  });

  it('records a search with its query and every patient whose data it returned', async () => {
    const marker = randomUUID();
    expect((await server.system.json('GET', `Patient?_id=${A},${B}&_tag:not=urn:test|${marker}`)).status).toBe(200);
    const event = await searchEvent('Patient?_id=…&_tag:not=…', marker);
    expect(event).toMatchObject({ action: 'E', outcome: '0' });
    expect(patientsNamed(event).sort()).toEqual([`Patient/${A}`, `Patient/${B}`]);
    expect(JSON.stringify(event)).not.toContain(marker);
  });

  it('records a search of another type with every patient whose data it returned, not only a search of Patient', async () => {
    const marker = randomUUID();
    expect((await server.system.json('GET', `Condition?code=a-code,b-code&_tag:not=urn:test|${marker}`)).status).toBe(200);
    const event = await searchEvent('Condition?code=…&_tag:not=…', marker);
    expect(patientsNamed(event).sort()).toEqual([`Patient/${A}`, `Patient/${B}`]);
  });

  it('records create, update and delete with actions C, U and D', async () => {
    const created = await patientA.json('POST', 'Condition', { resourceType: 'Condition', subject: { reference: `Patient/${A}` } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await patientA.json('PUT', `Condition/${id}`, { ...created.body, note: [{ text: 'u' }] })).status).toBe(200);
    expect((await patientA.json('DELETE', `Condition/${id}`)).status).toBe(200);
    const trail = (await events(`entity=Condition/${id}`)).map((e) => [subtype(e), e.action, e.outcome, patientsNamed(e)]);
    expect(trail).toEqual(
      expect.arrayContaining([
        ['create', 'C', '0', [`Patient/${A}`]],
        ['update', 'U', '0', [`Patient/${A}`]],
        ['delete', 'D', '0', [`Patient/${A}`]],
      ]),
    );
  });

  it('records a request refused for want of scope (403) with outcome 4', async () => {
    const id = await freshCondition();
    const reader = await server.patient(A, 'patient/*.read');
    expect((await reader.json('DELETE', `Condition/${id}`)).status).toBe(403);
    const [event] = (await events(`entity=Condition/${id}`)).filter((e) => subtype(e) === 'delete');
    expect(event.outcome).toBe('4');
    expect(event.outcomeDesc).toMatch(/^HTTP 403/);
  });

  it('records a failed login (401) as a Login event with outcome 4', async () => {
    const stranger = await testKey('ES384');
    const marker = `mark-${randomUUID()}`;
    const forged = await signToken(stranger, { iss: ISSUER, aud: server.baseUrl, exp: 9e9 });
    expect((await server.as(forged).json('GET', `Patient/${A}?${marker}=1`)).status).toBe(401);
    // Parameter names stay readable; values are sealed under the server's key (the request named no patient).
    const logins = (await events('type=http://dicom.nema.org/resources/ontology/DCM|110114')).filter((e) => JSON.stringify(e).includes(marker));
    expect(logins).toHaveLength(1);
    expect(logins[0]).toMatchObject({ outcome: '4', subtype: [{ code: '110122' }] });
    expect(logins[0].outcomeDesc).toMatch(/^HTTP 401/);
    expect(logins[0].entity?.map((x) => x.description)).toEqual([`Patient/${A}?${marker}=…`]);
    expect((await server.system.json('GET', `AuditEvent/${logins[0].id}/$query-text`)).body.parameter[0].valueString).toBe(`Patient/${A}?${marker}=1`);
    expect(patientsNamed(logins[0])).toEqual([]);
  });

  it('records a server-side failure (503: the issuer keys cannot be read) with outcome 8', async () => {
    const good = readFileSync(server.jwksFile, 'utf8');
    const marker = `mark-${randomUUID()}`;
    try {
      writeFileSync(server.jwksFile, '{ not json');
      utimesSync(server.jwksFile, new Date(), new Date(Date.now() + 60_000));
      // An unknown kid makes the server re-read the (now unreadable) key file.
      const token = await server.sign({ scope: 'system/*.read' }, { kid: 'rotated-key' });
      const res = await server.as(token).json('GET', `Patient/${A}?${marker}=1`);
      expectOutcome(res, 503, 'transient');
    } finally {
      writeFileSync(server.jwksFile, good);
      utimesSync(server.jwksFile, new Date(), new Date(Date.now() + 120_000));
    }
    const failed = (await events('outcome=8')).filter((e) => JSON.stringify(e).includes(marker));
    expect(failed).toHaveLength(1);
    expect(failed[0].outcomeDesc).toMatch(/^HTTP 503/);
  });
});

describe('who may read and change the audit trail', () => {
  it('shows a patient token only AuditEvents that name no patient but its own', async () => {
    // The system reads B alone and then A and B together: neither event is A's to see.
    await server.system.json('GET', `Patient/${B}`);
    await server.system.json('GET', `Patient?_id=${A},${B}`);
    await events('_id=none');
    const res = await patientA.json('GET', 'AuditEvent?_count=1000');
    expect(res.status).toBe(200);
    const seen = (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource) as AuditEvent[];
    expect(seen.length).toBeGreaterThan(0);
    const foreign = seen.filter((e) => patientsNamed(e).some((p) => p !== `Patient/${A}`) || entityRefs(e).includes(`Patient/${B}`));
    expect(foreign.map((e) => e.id)).toEqual([]);
  });

  it('answers 405 to PUT, PATCH and DELETE on an AuditEvent, even for a system/*.* token', async () => {
    const [event] = await events(`entity=Patient/${A}`);
    const path = `AuditEvent/${event.id}`;
    expectOutcome(await server.system.json('PUT', path, { ...event, outcome: '0' }), 405);
    const patch = [{ op: 'replace', path: '/outcome', value: '0' }];
    expectOutcome(await server.system.json('PATCH', path, patch, { 'content-type': 'application/json-patch+json' }), 405);
    expectOutcome(await server.system.json('DELETE', path), 405);
    expectOutcome(await server.system.json('DELETE', `AuditEvent?_id=${event.id}`), 405);
    expect((await server.system.json('GET', path)).body).toEqual(event);
  });

  it('does not let a patient token plant an AuditEvent in another patient record', async () => {
    const planted = clientEvent('planted by patient A');
    for (const reference of [`Patient/${B}`, `${server.baseUrl}/Patient/${B}`]) {
      const res = await patientA.json('POST', 'AuditEvent', { ...planted, entity: [{ what: { reference } }] });
      expect({ reference, refused: res.status >= 400 && res.status < 500 }).toEqual({ reference, refused: true });
    }
    const patientB = await server.patient(B, 'patient/*.read');
    const seenByB = refsOf((await patientB.json('GET', 'AuditEvent?_count=1000')).body);
    const plantedSeen = await eventsMarked('planted by patient A');
    expect(plantedSeen.filter((e) => seenByB.includes(`AuditEvent/${e.id}`))).toEqual([]);
  });

  it('refuses POST AuditEvent to a token without a create grant on AuditEvent', async () => {
    for (const scope of ['system/AuditEvent.rs', 'system/Patient.c', 'user/*.rus']) {
      const marker = `no create grant: ${scope}`;
      expectOutcome(await (await server.scoped(scope)).json('POST', 'AuditEvent', clientEvent(marker)), 403, 'forbidden');
      expect(await eventsMarked(marker)).toEqual([]);
    }
  });

  it('refuses POST AuditEvent to a token whose granular create scope the event does not match, and stores nothing', async () => {
    const caller = await server.scoped(`system/AuditEvent.c?type=${EVENT_TYPES}|rest`);
    expectOutcome(await caller.json('POST', 'AuditEvent', clientEvent('outside the create scope', 'access')), 403, 'forbidden');
    expect(await eventsMarked('outside the create scope')).toEqual([]);
    expect(await verifyChain()).toEqual({ intact: true, breaks: [] });
  });

  it('appends a posted AuditEvent that matches the granular create scope (baseline)', async () => {
    const caller = await server.scoped(`system/AuditEvent.c?type=${EVENT_TYPES}|rest`);
    const res = await caller.json('POST', 'AuditEvent', clientEvent('inside the create scope'), { prefer: 'return=minimal' });
    expect(res.status).toBe(201);
    expect(await eventsMarked('inside the create scope')).toHaveLength(1);
  });
});

describe('events a client submits', () => {
  const ORIGIN = 'http://fhirstone.org/fhir/CodeSystem/audit-origin';
  const origin = (e: AuditEvent) => e.meta?.tag?.filter((t) => t.system === ORIGIN).map((t) => t.code);

  it('are marked as submitted by the authenticated client, even when they claim to be the server own', async () => {
    const ownEvent = (await events(`entity=Patient/${A}`))[0];
    expect(origin(ownEvent)).toEqual(['server']);
    const marker = `impostor-${randomUUID()}`;
    const caller = await server.sign({ scope: 'system/AuditEvent.c', client_id: 'device-gateway', jti: marker });
    const forged: AuditEvent = {
      ...clientEvent(marker),
      meta: { tag: [{ system: ORIGIN, code: 'server' }] },
      source: ownEvent.source,
      agent: ownEvent.agent,
    };
    const res = await server.as(caller).json('POST', 'AuditEvent', forged);
    expect(res.status).toBe(201);
    expect(origin(res.body)).toEqual(['submitted']);
    const by = res.body.extension.find((e: { url: string }) => e.url === 'http://fhirstone.org/fhir/StructureDefinition/audit-submitted-by');
    expect(by.extension).toEqual([
      { url: 'client', valueString: 'device-gateway' },
      { url: 'token', valueString: marker },
    ]);
    // The server's own record of the POST names the event it stored.
    const [create] = (await events(`entity=AuditEvent/${res.body.id}`)).filter((e) => subtype(e) === 'create');
    expect(origin(create)).toEqual(['server']);
    expect(create.agent.some((a) => a.who?.identifier?.value === 'device-gateway')).toBe(true);
  });

  it('are left out of a search for the events the server recorded', async () => {
    const marker = `posted-${randomUUID()}`;
    const caller = await server.scoped('system/AuditEvent.c');
    const res = await caller.json('POST', 'AuditEvent', { ...clientEvent(marker), meta: { tag: [{ system: ORIGIN, code: 'server' }] } });
    expect(res.status).toBe(201);
    const own = await events(`_tag=${ORIGIN}|server`);
    expect(own.length).toBeGreaterThan(0);
    expect(own.map((e) => e.id)).not.toContain(res.body.id);
    expect((await events(`_tag=${ORIGIN}|submitted`)).map((e) => e.id)).toContain(res.body.id);
  });
});

describe('AuditEvent/$verify-chain', () => {
  it('is refused (403) to a patient-bound token, which may read its own events but not the whole trail', async () => {
    expect((await patientA.json('GET', 'AuditEvent/$verify-chain')).status).toBe(403);
  });

  it('reports an intact chain, then the event edited directly in the database', async () => {
    expect(await verifyChain()).toEqual({ intact: true, breaks: [] });
    const [victim] = await events(`entity=Patient/${A}`);
    const collection = server.store.db.collection<{ _id: string; r: string }>('AuditEvent');
    const original = (await collection.findOne({ _id: victim.id as string }))!.r;
    const edited = JSON.stringify({ ...JSON.parse(original), outcome: '0', outcomeDesc: 'nothing happened' });
    await collection.updateOne({ _id: victim.id as string }, { $set: { r: edited } });
    try {
      const report = await verifyChain();
      expect(report.intact).toBe(false);
      expect(report.breaks).toEqual([{ kind: 'modified', id: victim.id }]);
    } finally {
      await collection.updateOne({ _id: victim.id as string }, { $set: { r: original } });
    }
    expect((await verifyChain()).intact).toBe(true);
  });

  it('reports an event deleted from the middle of the trail as missing', async () => {
    const all = await events('_count=1000');
    const victim = all[Math.floor(all.length / 2)];
    const collection = server.store.db.collection<{ _id: string }>('AuditEvent');
    const doc = await collection.findOne({ _id: victim.id as string });
    await collection.deleteOne({ _id: victim.id as string });
    try {
      const report = await verifyChain();
      expect(report.intact).toBe(false);
      expect(report.breaks.map((b) => b.kind)).toContain('missing');
    } finally {
      await collection.insertOne(doc!);
    }
    expect((await verifyChain()).intact).toBe(true);
  });

  it('is refused to a token without read access to AuditEvent', async () => {
    const other = await server.scoped('system/Patient.rs');
    expectOutcome(await other.json('GET', 'AuditEvent/$verify-chain'), 403, 'forbidden');
  });
});
