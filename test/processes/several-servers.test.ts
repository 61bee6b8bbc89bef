import type { Task } from 'fhir/r4';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditEvents, chainIntact, spawnServer, type ServerProcess } from '../helpers/server-process';
import { mergeParameters, patient } from '../merge/support';

/**
 * Several server processes on one store: `fhirstone engine` runs the embedded engine alone, and two servers share it
 * through MONGODB_URI, as they would share MongoDB. What must hold across instances is raced from both.
 */
const internal = process.env.MONGODB_URI ? describe.skip : describe;

const json = async (url: string, init: RequestInit = {}) => {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/fhir+json', ...(init.headers ?? {}) } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};
const BALP_ENTITY = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';
const countBy = (xs: number[]) => xs.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

internal('two servers on one engine process', () => {
  let dir: string;
  let engine: ServerProcess;
  let servers: ServerProcess[];
  let bases: string[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-several-'));
    engine = await spawnServer({ DATA_DIR: path.join(dir, 'engine') }, 'embedded engine listening: point servers at it with MONGODB_URI', ['src/cli.ts', 'engine']);
    const uri = String(engine.lines.find((l) => typeof l.uri === 'string')!.uri);
    expect(fs.readFileSync(path.join(dir, 'engine', 'engine.uri'), 'utf8').trim()).toBe(uri);
    const env = { MONGODB_URI: uri, DATA_DIR: path.join(dir, 'server') };
    servers = await Promise.all([spawnServer(env), spawnServer(env)]);
    bases = servers.map((s) => s.baseUrl);
  }, 60_000);
  afterAll(async () => {
    for (const p of [...(servers ?? []), engine]) {
      p?.child.kill('SIGTERM');
      await p?.exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('creates one resource of 12 conditional creates with the same criteria sent to both', async () => {
    const body = JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:test:several', value: 'one' }] });
    const results = await Promise.all(
      [...Array(12)].map((_, i) => json(`${bases[i % 2]}/Patient`, { method: 'POST', body, headers: { 'if-none-exist': 'identifier=urn:test:several|one' } })),
    );
    expect(countBy(results.map((r) => r.status))).toEqual({ 201: 1, 200: 11 });
    expect((await json(`${bases[0]}/Patient?identifier=urn:test:several|one`)).body.entry).toHaveLength(1);
  });

  it('lets exactly one of 12 updates with the same If-Match win, from both', async () => {
    expect((await json(`${bases[0]}/Patient/race`, { method: 'PUT', body: JSON.stringify({ resourceType: 'Patient', id: 'race' }) })).status).toBe(201);
    const results = await Promise.all(
      [...Array(12)].map((_, i) =>
        json(`${bases[i % 2]}/Patient/race`, {
          method: 'PUT',
          body: JSON.stringify({ resourceType: 'Patient', id: 'race', gender: i % 2 ? 'male' : 'female' }),
          headers: { 'if-match': 'W/"1"' },
        }),
      ),
    );
    expect(countBy(results.map((r) => r.status))).toEqual({ 200: 1, 412: 11 });
  });

  it('refuses on one server a delete in a record held from the other, and a write naming a patient merged from the other', async () => {
    const put = (base: string, r: { resourceType: string; id: string }) => json(`${base}/${r.resourceType}/${r.id}`, { method: 'PUT', body: JSON.stringify(r) });
    const observation = (id: string, patientId: string) => ({
      resourceType: 'Observation',
      id,
      status: 'final',
      code: { text: 'guarded' },
      subject: { reference: `Patient/${patientId}` },
    });
    for (const id of ['held', 'gone', 'kept']) expect((await put(bases[0], patient(id))).status).toBe(201);
    // Written from the second server first: it has written the guard of the record, which the hold then flags.
    expect((await put(bases[1], observation('held-obs', 'held'))).status).toBe(201);
    const hold = { resourceType: 'Parameters', parameter: ['matter', 'reason'].map((name) => ({ name, valueString: `several-${name}` })) };
    expect((await json(`${bases[0]}/Patient/held/$hold`, { method: 'POST', body: JSON.stringify(hold) })).status).toBe(201);
    expect((await json(`${bases[1]}/Observation/held-obs`, { method: 'DELETE' })).status).toBe(409);
    expect((await put(bases[1], observation('gone-obs', 'gone'))).status).toBe(201);
    expect((await json(`${bases[0]}/Patient/$merge`, { method: 'POST', body: JSON.stringify(mergeParameters('gone', 'kept')) })).status).toBe(200);
    expect((await put(bases[1], observation('late-obs', 'gone'))).status).toBe(422);
  });

  it('evaluates again, at a write through one server, a deficiency Task stored through the other', async () => {
    const put = async (base: string, r: { resourceType: string; id: string }) =>
      (await json(`${base}/${r.resourceType}/${r.id}`, { method: 'PUT', body: JSON.stringify(r) })).status;
    const end = new Date(Date.now() - 2 * 24 * 3600_000).toISOString();
    const stay = (status: string) => ({
      resourceType: 'Encounter',
      id: 'several-stay',
      status,
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: { reference: 'Patient/several-stay-p' },
      period: { end },
    });
    expect(await put(bases[0], { resourceType: 'Patient', id: 'several-stay-p' })).toBe(201);
    expect(await put(bases[0], stay('finished'))).toBe(201);
    const found = (await json(`${bases[0]}/Encounter/several-stay/$completeness`)).body;
    const task = found.entry.map((e: { resource: Task }) => e.resource).find((t: Task) => t.code?.coding?.[0].code === 'discharge-summary');
    expect(await put(bases[0], task)).toBe(201);
    // The record's guards carry the Task in the store: the other server's write looks it up.
    expect(await put(bases[1], stay('entered-in-error'))).toBe(200);
    expect((await json(`${bases[1]}/Task/${task.id}`)).body.status).toBe('cancelled');
  });

  it('keeps every acknowledged write and its AuditEvent when one server is killed (-9) under write load, and the audit chain verifies', async () => {
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (base: string, name: string) => {
      for (let i = 0; !stop; i++) {
        const id = `${name}-${i}`;
        const res = await json(`${base}/Patient/${id}`, { method: 'PUT', body: JSON.stringify({ resourceType: 'Patient', id }), headers: { 'x-request-id': id } }).catch(
          () => undefined,
        );
        if (res?.status === 201) acknowledged.push(id);
        if (!res) return;
      }
    };
    const writes = [writer(bases[0], 'killed'), writer(bases[1], 'kept')];
    await new Promise((r) => setTimeout(r, 1_500));
    servers[0].child.kill('SIGKILL');
    await servers[0].exited;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(writes);
    expect(acknowledged.some((id) => id.startsWith('killed-'))).toBe(true);
    for (const id of acknowledged) expect({ id, status: (await json(`${bases[1]}/Patient/${id}`)).status }).toEqual({ id, status: 200 });
    // Each acknowledged request's event was stored before its answer, the killed server's included.
    const audited = new Set<string>();
    for (const event of await auditEvents(bases[1], 'AuditEvent?subtype=update&_count=1000&_elements=entity')) {
      for (const x of event.entity ?? []) if (x.type?.system === BALP_ENTITY) audited.add(x.what?.identifier?.value ?? '');
    }
    expect(acknowledged.filter((id) => !audited.has(id))).toEqual([]);
    expect(await chainIntact(bases[1])).toBe(true);
  }, 60_000);
});

internal('fhirstone serve --workers 2', () => {
  it('runs two server processes on one port and one engine, answers from both, and stops cleanly on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-workers-'));
    const primary = await spawnServer({ DATA_DIR: dir }, 'FHIR server listening', ['src/cli.ts', 'serve', '--workers', '2']);
    try {
      const listening = () => primary.lines.filter((l) => l.msg === 'FHIR server listening');
      for (let i = 0; i < 300 && listening().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      expect(new Set(listening().map((l) => l.url)).size).toBe(1);
      expect(new Set(listening().map((l) => l.pid)).size).toBe(2);
      const base = primary.baseUrl;
      const statuses = [];
      for (let i = 0; i < 20; i++)
        statuses.push((await json(`${base}/Patient/w-${i}`, { method: 'PUT', body: JSON.stringify({ resourceType: 'Patient', id: `w-${i}` }) })).status);
      expect(statuses.every((s) => s === 201)).toBe(true);
      const served = new Set(primary.lines.filter((l) => l.msg === 'request completed').map((l) => l.pid));
      expect(served.size).toBe(2);
      primary.child.kill('SIGTERM');
      expect((await primary.exited).code).toBe(0);
      expect(primary.lines.some((l) => l.msg === 'a worker did not stop in time: killing it')).toBe(false);
    } finally {
      primary.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
