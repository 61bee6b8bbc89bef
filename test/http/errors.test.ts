import { throttled } from '../../src/auth/failure-throttle';
import { badRequest, notSupported, unauthorized, unavailable } from '../../src/errors/operation-outcome-error';
import { errorResponse } from '../../src/http/errors';
import { expectOutcome, patient, put, serverForThisFile } from '../router/support';

const server = serverForThisFile();

/** A Patient with `levels` of nested (valid) extensions: its JSON nests 1 + 2 x levels deep, 2 + levels objects. */
function nestedExtensions(levels: number): string {
  let inner = '{"url":"urn:leaf","valueString":"x"}';
  for (let i = 0; i < levels; i++) inner = `{"url":"urn:level","extension":[${inner}]}`;
  return `{"resourceType":"Patient","extension":[${inner}]}`;
}

const raw = (method: string, path: string, body: string, contentType = 'application/fhir+json') => server().json(method, path, body, { 'content-type': contentType });

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

  it('for a body nested deeper than 100 FHIR levels (objects), while an extension nested 98 deep is accepted', async () => {
    expect((await raw('POST', 'Patient', nestedExtensions(60))).status).toBe(201);
    expect((await raw('POST', 'Patient', nestedExtensions(98))).status).toBe(201);
    const tooDeep = await raw('POST', 'Patient', nestedExtensions(99));
    expectOutcome(tooDeep, 400);
    expect(tooDeep.body.issue[0].diagnostics).toMatch(/deeper than 100 levels/);
    expectOutcome(await raw('POST', 'Patient', `{"resourceType":"Patient","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), 400);
  });

  it('for a body with a key twice in one object, which JSON.parse would silently resolve', async () => {
    const res = await raw('POST', 'Patient', '{"resourceType":"Patient","gender":"male","name":[{"family":"A"}],"gender":"female"}');
    expectOutcome(res, 400);
    expect(res.body.issue[0].diagnostics).toContain('"gender" twice');
    const escaped = await raw('POST', 'Patient', '{"resourceType":"Patient","name":[{"family":"A","fam\\u0069ly":"B"}]}');
    expect(escaped.body.issue[0].diagnostics).toContain('"family" twice');
    // The same key in different objects, or inside strings, is not a duplicate.
    expect((await raw('POST', 'Patient', '{"resourceType":"Patient","name":[{"family":"A"},{"family":"B, \\"family\\":"}]}')).status).toBe(201);
  });

  it('for a string over R4 1 MB limit, before parsing it; base64Binary data may be longer', async () => {
    const long = 'x'.repeat(1024 * 1024 + 1);
    const res = await raw('POST', 'Patient', `{"resourceType":"Patient","name":[{"family":"A","given":["${long}"]}]}`);
    expectOutcome(res, 400);
    expect(res.body.issue[0].diagnostics).toContain("'given'");
    const binary = { resourceType: 'Binary', contentType: 'text/plain', data: 'QUJD'.repeat(300_000) };
    expect((await server().json('POST', 'Binary', binary)).status).toBe(201);
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

describe('errorResponse', () => {
  it("answers an OperationOutcomeError with its category's status, its facts' headers and its issues", () => {
    const err = badRequest('no such parameter', 'Patient.foo');
    expect(errorResponse(err)).toEqual({ status: 400, headers: {}, body: err.outcome });
  });

  it('answers a not-supported with 405 and the allowed methods', () => {
    expect(errorResponse(notSupported('no DELETE here', ['GET', 'HEAD']))).toMatchObject({ status: 405, headers: { Allow: 'GET, HEAD' } });
    expect(errorResponse(notSupported('no such interaction'))).toMatchObject({ status: 405, headers: {} });
  });

  it('answers an unauthenticated with 401 and its challenge, Bearer when none is named', () => {
    expect(errorResponse(unauthorized('token required'))).toMatchObject({ status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
    const challenge = 'Bearer realm="r", error="invalid_token"';
    expect(errorResponse(unauthorized('bad token', challenge))).toMatchObject({ status: 401, headers: { 'WWW-Authenticate': challenge } });
  });

  it('answers the failed-login throttle with 429 and its Retry-After', () => {
    expect(errorResponse(throttled(12))).toMatchObject({ status: 429, headers: { 'Retry-After': '12' } });
  });

  it('answers unavailable with 503, and a Retry-After only when the wait is known', () => {
    expect(errorResponse(unavailable('starting', 1))).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
    expect(errorResponse(unavailable('keys unavailable'))).toMatchObject({ status: 503, headers: {} });
  });

  it("maps body-parser's errors: an oversized body is 413 too-costly, its other 4xx keep their status", () => {
    const tooLarge = errorResponse(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 }));
    expect(tooLarge).toMatchObject({ status: 413, headers: {}, body: { issue: [{ code: 'too-costly' }] } });
    const charset = errorResponse(Object.assign(new Error('unsupported charset "X"'), { status: 415 }));
    expect(charset).toMatchObject({ status: 415, body: { issue: [{ code: 'invalid', diagnostics: 'unsupported charset "X"' }] } });
  });

  it('answers anything else with a 500 that reveals nothing of it', () => {
    const r = errorResponse(new Error('secret detail'));
    expect(r).toEqual({
      status: 500,
      headers: {},
      body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'Internal server error' }] },
    });
  });
});
