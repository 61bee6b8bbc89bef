import { expectOutcome, patient, put, serverForThisFile } from '../router/support';

const server = serverForThisFile();

/** A Patient with `levels` of nested (valid) extensions: its JSON nests 1 + 2 x levels deep. */
function nestedExtensions(levels: number): string {
  let inner = '{"url":"urn:leaf","valueString":"x"}';
  for (let i = 0; i < levels; i++) inner = `{"url":"urn:level","extension":[${inner}]}`;
  return `{"resourceType":"Patient","extension":[${inner}]}`;
}

const raw = (method: string, path: string, body: string, contentType = 'application/fhir+json') =>
  server().json(method, path, body, { 'content-type': contentType });

describe('400 Bad Request', () => {
  it('for a body that is not JSON', async () => {
    const res = await raw('POST', 'Patient', '{"resourceType": "Patient",');
    expectOutcome(res, 400);
    expect(res.body.issue[0].diagnostics).toMatch(/JSON/);
  });

  it('for a body whose resourceType is not the type in the URL', async () => {
    expectOutcome(await server().json('POST', 'Encounter', patient()), 400);
  });

  it('for a PUT whose body id differs from the URL id', async () => {
    expectOutcome(await server().json('PUT', 'Patient/err-a', patient({ id: 'err-b' })), 400);
  });

  it('for a PUT whose body has no id', async () => {
    expectOutcome(await server().json('PUT', 'Patient/err-noid', patient()), 400);
  });

  it('for a body nested deeper than 100 levels, while 90 levels are still accepted', async () => {
    expectOutcome(await raw('POST', 'Patient', nestedExtensions(60)), 400);
    expectOutcome(await raw('POST', 'Patient', `{"resourceType":"Patient","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), 400);
    expect((await raw('POST', 'Patient', nestedExtensions(44))).status).toBe(201);
  });

  it('for a path with broken percent-encoding', async () => {
    expectOutcome(await server().json('GET', 'Patient/%E0%A4%A'), 400);
    expectOutcome(await server().json('GET', 'Patient/%zz'), 400);
  });
});

describe('404 Not Found', () => {
  it('for an unknown id, an unknown type and an invalid id', async () => {
    expectOutcome(await server().json('GET', 'Patient/err-unknown'), 404, 'not-found');
    expectOutcome(await server().json('GET', 'Unicorn/1'), 404, 'not-found');
    expectOutcome(await server().json('POST', 'Unicorn', { resourceType: 'Unicorn' }), 404);
    expectOutcome(await server().json('GET', 'Patient/not*valid'), 404);
  });

  it('for a path no FHIR interaction has', async () => {
    await put(server(), patient({ id: 'err-deep' }));
    expectOutcome(await server().json('GET', 'Patient/err-deep/_history/1/extra'), 404);
    expectOutcome(await server().json('GET', 'Patient/err-deep/notAType'), 404);
  });

  it('for an operation the server does not have', async () => {
    expectOutcome(await server().json('GET', 'Patient/$no-such-operation'), 404);
  });

  it('for a non-resource type such as a datatype', async () => {
    expectOutcome(await server().json('GET', 'HumanName/1'), 404);
    expectOutcome(await server().json('GET', 'Resource/1'), 404);
  });
});

describe('405 Method Not Allowed', () => {
  it('for POST on an instance, with an Allow header', async () => {
    await put(server(), patient({ id: 'err-405' }));
    const res = await server().json('POST', 'Patient/err-405', patient());
    expectOutcome(res, 405);
    expect(res.headers.get('allow')).toMatch(/GET/);
  });

  it('for writes to history and for PATCH on a type', async () => {
    expectOutcome(await server().json('DELETE', 'Patient/err-405/_history'), 405);
    expectOutcome(await server().json('POST', '_history', {}), 405);
    expectOutcome(await server().json('PATCH', 'Patient', [], { 'content-type': 'application/json-patch+json' }), 405);
  });

  it('for HTTP methods FHIR does not use', async () => {
    expectOutcome(await server().json('OPTIONS', 'Patient/err-405'), 405);
  });

  it('for update, patch or delete of the append-only AuditEvent', async () => {
    const audit = {
      resourceType: 'AuditEvent',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' },
      recorded: '2024-01-01T00:00:00Z',
      agent: [{ requestor: true, who: { display: 'tester' } }],
      source: { observer: { display: 'test' } },
    };
    const created = await server().json('POST', 'AuditEvent', audit);
    expect(created.status).toBe(201);
    const path = `AuditEvent/${created.body.id}`;
    expectOutcome(await server().json('PUT', path, { ...audit, id: created.body.id }), 405);
    expectOutcome(await server().json('DELETE', path), 405);
    expect((await server().json('GET', path)).status).toBe(200);
  });
});

describe('409 / 412 version conflicts', () => {
  it('412 for an update with a stale If-Match', async () => {
    await put(server(), patient({ id: 'err-412' }));
    await put(server(), patient({ id: 'err-412' }));
    expectOutcome(await server().json('PUT', 'Patient/err-412', patient({ id: 'err-412' }), { 'if-match': 'W/"1"' }), 412, 'conflict');
  });
});

describe('415 Unsupported Media Type', () => {
  it('for a text/plain body', async () => {
    expectOutcome(await raw('POST', 'Patient', JSON.stringify(patient()), 'text/plain'), 415);
  });

  it('for an XML body', async () => {
    const xml = '<Patient xmlns="http://hl7.org/fhir"><gender value="male"/></Patient>';
    expectOutcome(await raw('POST', 'Patient', xml, 'application/fhir+xml'), 415);
  });

  it('accepts application/json and application/fhir+json with a charset parameter', async () => {
    expect((await raw('POST', 'Patient', JSON.stringify(patient()), 'application/json')).status).toBe(201);
    expect((await raw('POST', 'Patient', JSON.stringify(patient()), 'application/fhir+json; charset=utf-8')).status).toBe(201);
  });
});

describe('error bodies', () => {
  it('are served as application/fhir+json', async () => {
    const res = await server().api('Patient/err-type-check');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  });
});
