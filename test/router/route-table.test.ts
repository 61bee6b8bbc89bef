import { randomUUID } from 'node:crypto';
import type { AuditEvent } from 'fhir/r4';
import { allowedMethods, byMethod, compileRoutes, matchRoutes, type Route } from '../../src/router/route';
import { expectOutcome, patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

/** Every AuditEvent mentioning `marker`, once the trail's queue is stored ($verify-chain drains it). */
async function eventsMentioning(marker: string): Promise<AuditEvent[]> {
  expect((await server().json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
  const res = await server().json('GET', 'AuditEvent?_count=1000');
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource).filter((e: AuditEvent) => JSON.stringify(e).includes(marker));
}

const subtype = (e: AuditEvent) => e.subtype?.[0]?.code;

describe('the route table over HTTP', () => {
  it('answers 404 to a path no route takes, and audits it as the URL it was, not as an interaction', async () => {
    const id = `rt-${randomUUID().slice(0, 8)}`;
    await put(server(), patient({ id }));
    expectOutcome(await server().json('GET', `Patient/${id}/_history/1/x`), 404, 'not-found');
    const events = (await eventsMentioning(`${id}/_history/1/x`)).filter((e) => e.outcome === '4');
    expect(events).toHaveLength(1);
    expect(subtype(events[0])).not.toBe('vread');
    // It names no resource: the route table recognised none in that URL.
    expect((events[0].entity ?? []).map((x) => x.what?.reference).filter(Boolean)).toEqual([]);
  });

  it('audits the interaction the route table chose: a vread is a vread', async () => {
    const id = `rt-${randomUUID().slice(0, 8)}`;
    await put(server(), patient({ id }));
    expect((await server().json('GET', `Patient/${id}/_history/1`)).status).toBe(200);
    const vreads = (await eventsMentioning(`Patient/${id}`)).filter((e) => subtype(e) === 'vread');
    expect(vreads).toHaveLength(1);
  });

  it('answers OPTIONS with 405 and an Allow header listing what the path takes', async () => {
    const res = await server().json('OPTIONS', 'Patient/any-id');
    expectOutcome(res, 405);
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH', 'PUT']);
  });

  it('answers 405 with Allow when the path is known but the method is not: DELETE on an operation', async () => {
    const res = await server().json('DELETE', 'Patient/$validate');
    expectOutcome(res, 405);
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('offers on an append-only type only the methods it keeps: GET and POST', async () => {
    const res = await server().json('PUT', 'AuditEvent/some-id', { resourceType: 'AuditEvent' });
    expectOutcome(res, 405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });

  it('does not let a batch entry reach an HTTP-only route (an export status)', async () => {
    const res = await server().json('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'GET', url: '$export-status/some-job' } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^404/);
  });
});

describe('operations and their definitions', () => {
  it('publishes each operation in the CapabilityStatement with a definition the server can show', async () => {
    const cs = (await server().json('GET', 'metadata')).body;
    const system = cs.rest[0].operation as Array<{ name: string; definition: string }>;
    expect(system).toContainEqual({ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' });
    const auditEvent = cs.rest[0].resource.find((r: { type: string }) => r.type === 'AuditEvent');
    const verify = auditEvent.operation.find((o: { name: string }) => o.name === 'verify-chain');
    expect(verify).toBeDefined();
    const def = await server().json('GET', 'OperationDefinition/AuditEvent-verify-chain');
    expect(def.status).toBe(200);
    expect(def.body).toMatchObject({
      resourceType: 'OperationDefinition',
      url: verify.definition,
      code: 'verify-chain',
      type: true,
      instance: false,
      resource: ['AuditEvent'],
    });
    expect(def.body.parameter.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['intact', 'checked', 'breaks']));
  });

  it('lists Patient- and Group-level export under their own definitions, and no export on other types', async () => {
    const resources = (await server().json('GET', 'metadata')).body.rest[0].resource as Array<{ type: string; operation?: Array<{ name: string; definition: string }> }>;
    const exportOf = (type: string) => resources.find((r) => r.type === type)?.operation?.find((o) => o.name === 'export')?.definition;
    expect(exportOf('Patient')).toBe('http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export');
    expect(exportOf('Group')).toBe('http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export');
    expect(exportOf('Observation')).toBeUndefined();
    expectOutcome(await server().json('GET', 'Observation/$export', undefined, { prefer: 'respond-async' }), 404);
  });

  it("reads stored OperationDefinitions as before when the id is not one of the server's own", async () => {
    const id = `od-${randomUUID().slice(0, 8)}`;
    const stored = {
      resourceType: 'OperationDefinition',
      id,
      name: 'Mine',
      status: 'draft',
      kind: 'operation',
      code: 'mine',
      system: true,
      type: false,
      instance: false,
    };
    await put(server(), stored);
    expect((await server().json('GET', `OperationDefinition/${id}`)).body).toMatchObject({ id, code: 'mine' });
  });
});

describe('matchRoutes (module boundary)', () => {
  const route = (methods: Route['methods'], path: string, extra: Partial<Route> = {}): Route => ({
    methods,
    path,
    interaction: 'read',
    handler: async () => ({ status: 200 }),
    ...extra,
  });
  const table = compileRoutes([
    route(['GET'], '{type}/{id}'),
    route(['PUT', 'DELETE'], '{type}/{id}'),
    route(['GET'], '{type}/{id}/_history/{vid}'),
    route(['POST'], '{type}/$op', { types: ['Patient'] }),
    route(['GET'], '$status/{job}', { httpOnly: true }),
  ]);

  it('captures the parameters of the pattern the path fits, and only whole paths', () => {
    const { candidates } = matchRoutes(table, 'Patient/a1/_history/3', { httpOnly: true });
    expect(candidates.map((c) => c.params)).toEqual([{ type: 'Patient', id: 'a1', vid: '3' }]);
    expect(matchRoutes(table, 'Patient/a1/_history/3/x', { httpOnly: true }).candidates).toEqual([]);
  });

  it('never takes `_history`, `_search` or an operation for an id, nor a lower-case word for a type', () => {
    expect(matchRoutes(table, 'Patient/_history', { httpOnly: true }).candidates).toEqual([]);
    expect(matchRoutes(table, 'Patient/$everything', { httpOnly: true }).candidates).toEqual([]);
    expect(matchRoutes(table, 'patient/1', { httpOnly: true }).candidates).toEqual([]);
  });

  it('restricts an operation to its types, and HTTP-only routes to HTTP', () => {
    expect(matchRoutes(table, 'Patient/$op', { httpOnly: true }).candidates).toHaveLength(1);
    expect(matchRoutes(table, 'Group/$op', { httpOnly: true }).candidates).toEqual([]);
    expect(matchRoutes(table, '$status/j1', { httpOnly: false }).candidates).toEqual([]);
  });

  it('picks the route of the method (HEAD as GET) and lists the others for Allow', () => {
    const match = matchRoutes(table, 'Patient/a1', { httpOnly: true });
    expect(byMethod(match, 'HEAD')?.route.methods).toEqual(['GET']);
    expect(byMethod(match, 'DELETE')?.route.methods).toEqual(['PUT', 'DELETE']);
    expect(byMethod(match, 'POST')).toBeUndefined();
    expect(allowedMethods(match.candidates).sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
  });
});
