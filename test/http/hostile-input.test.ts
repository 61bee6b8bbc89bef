import { expectOutcome, patient, put, rawRequest, serverForThisFile } from '../router/support';

const server = serverForThisFile();

/** The `diagnostics` of every issue of an OperationOutcome, joined for matching. */
const diagnostics = (body: { issue: Array<{ diagnostics?: string }> }) => body.issue.map((i) => i.diagnostics).join('\n');

describe('bodies that try to reach the database or the runtime', () => {
  it('refuses MongoDB operator keys ($where, $set) and operator objects as values with a 400 naming each', async () => {
    const body = patient({ id: 'evil-ops', $where: 'sleep(10000)', name: [{ family: { $gt: '' } }], extension: [{ url: 'urn:x', $set: { del: true } }] });
    const res = await server().json('PUT', 'Patient/evil-ops', body);
    expectOutcome(res, 400, 'structure');
    expect(diagnostics(res.body)).toMatch(/Unknown element '\$where'/);
    expect(diagnostics(res.body)).toMatch(/Unknown element '\$set'/);
    expect(diagnostics(res.body)).toMatch(/\{"\$gt":""\}/);
    expectOutcome(await server().json('GET', 'Patient/evil-ops'), 404);
  });

  it('stores strings that look like MongoDB operators as plain data, returns them unchanged and finds them', async () => {
    const body = patient({ id: 'evil-strings', name: [{ family: '$where', given: ['{"$gt":""}'] }], identifier: [{ system: 'urn:evil', value: '$ne' }] });
    expect((await server().json('PUT', 'Patient/evil-strings', body)).status).toBe(201);
    const read = await server().json('GET', 'Patient/evil-strings');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ name: body.name, identifier: body.identifier });
    const queries: Array<[string, string]> = [
      ['family:exact', '$where'],
      ['identifier', 'urn:evil|$ne'],
      ['given', '{"$gt":""}'],
    ];
    for (const [name, value] of queries) {
      const found = await server().json('GET', `Patient?${new URLSearchParams([[name, value]])}`);
      const ids = found.body.entry?.map((e: { resource: { id: string } }) => e.resource.id);
      expect({ name, status: found.status, ids }).toEqual({ name, status: 200, ids: ['evil-strings'] });
    }
  });

  it('answers 400 to __proto__ and constructor.prototype in a body or a JSON Patch, and no prototype is polluted', async () => {
    const res = await server().json('POST', 'Patient', '{"resourceType":"Patient","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}');
    expectOutcome(res, 400, 'structure');
    expect(diagnostics(res.body)).toMatch(/Unknown element '__proto__'/);
    expect(diagnostics(res.body)).toMatch(/Unknown element 'constructor'/);
    await put(server(), patient({ id: 'evil-proto' }));
    const patch = await server().json('PATCH', 'Patient/evil-proto', [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], {
      'content-type': 'application/json-patch+json',
    });
    expectOutcome(patch, 400, 'invalid');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await server().json('GET', 'Patient/evil-proto')).body.polluted).toBeUndefined();
  });

  it('stores escaped lone surrogates and control characters in strings as sent', async () => {
    const res = await server().json('PUT', 'Patient/evil-escapes', '{"resourceType":"Patient","id":"evil-escapes","name":[{"family":"\\ud800\\u0000\\u001f"}]}');
    expect(res.status).toBe(201);
    expect((await server().json('GET', 'Patient/evil-escapes')).body.name).toEqual([{ family: '\ud800\u0000\u001f' }]);
  });

  it('stores a body that is not valid UTF-8 with each invalid sequence replaced by U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('{"resourceType":"Patient","id":"evil-utf8","name":[{"family":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]);
    const res = await server().api('Patient/evil-utf8', { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: bytes });
    expect(res.status).toBe(201);
    expect((await server().json('GET', 'Patient/evil-utf8')).body.name).toEqual([{ family: '\ufffd\ufffd\ufffd' }]);
  });

  it('answers 400 to a body with thousands of unknown elements, listing the first hundred and saying the rest are cut', async () => {
    const fields = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]));
    const res = await server().json('POST', 'Patient', patient(fields));
    expectOutcome(res, 400, 'too-costly');
    expect(res.body.issue.filter((i: { code: string }) => i.code === 'structure')).toHaveLength(100);
  });
});

describe('URLs built to break routing', () => {
  it('answers 400 for percent-garbage in the path', async () => {
    for (const path of ['Patient/%', 'Patient/%E0%A4%A', '%C0%AF/1', 'Patient/%uD800']) {
      expectOutcome(await server().json('GET', path), 400);
    }
  });

  it('answers 404 with an OperationOutcome for encoded separators and NUL bytes', async () => {
    for (const path of ['Patient/%2F..%2F..%2Fetc%2Fpasswd', 'Patient/a%00b', '..%2F..%2FPatient']) {
      const res = await server().json('GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expectOutcome(res, 404, 'not-found');
    }
  });

  it('answers 400 with an OperationOutcome for an id of dots, plain or encoded', async () => {
    // Sent raw: fetch would resolve `..` and `%2e%2e` before they reach the server.
    for (const path of ['Patient/..', 'Patient/%2e%2e']) {
      const res = await rawRequest(server(), 'GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expectOutcome(res, 400, 'invalid');
      expect(diagnostics(res.body)).toMatch(/only of dots/);
    }
  });

  it('answers 404 for a 10,000-character id', async () => {
    expectOutcome(await server().json('GET', `Patient/${'x'.repeat(10_000)}`), 404);
  });

  it('reads, lists the history of and summarises a resource past a thousand unknown query parameters', async () => {
    await put(server(), patient({ id: 'evil-query' }));
    const query = Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join('&');
    const read = await server().json('GET', `Patient/evil-query?${query}`);
    expect({ status: read.status, id: read.body.id }).toEqual({ status: 200, id: 'evil-query' });
    const history = await server().json('GET', `Patient/evil-query/_history?${query}`);
    expect({ status: history.status, type: history.body.type, entries: history.body.entry?.length }).toEqual({ status: 200, type: 'history', entries: 1 });
    const repeated = Array.from({ length: 1000 }, () => '_summary=true').join('&');
    const summary = await server().json('GET', `Patient/evil-query?${repeated}`);
    expect({ status: summary.status, tag: summary.body.meta?.tag?.[0]?.code }).toEqual({ status: 200, tag: 'SUBSETTED' });
  });

  it('answers 400 for absurd paging values', async () => {
    for (const q of ['_count=1e308', '_count=99999999999999999999', '_since=9999999-01-01', `_page=${'A'.repeat(5000)}`, '_count=']) {
      const res = await server().json('GET', `Patient/_history?${q}`);
      expect({ q: q.slice(0, 20), status: res.status }).toEqual({ q: q.slice(0, 20), status: 400 });
      expectOutcome(res, 400, 'invalid');
    }
  });
});

describe('headers built to confuse', () => {
  it('answers oversized and malformed conditional headers as the conditions they state, or 400', async () => {
    await put(server(), patient({ id: 'evil-headers' }));
    const long = `W/"${'9'.repeat(5000)}"`;
    // A version no resource has: the update's precondition fails.
    expectOutcome(await server().json('PUT', 'Patient/evil-headers', patient({ id: 'evil-headers' }), { 'if-match': long }), 412);
    // Matches no version, and an unreadable date is no condition: the read answers.
    expect((await server().json('GET', 'Patient/evil-headers', undefined, { 'if-none-match': long })).status).toBe(200);
    expect((await server().json('GET', 'Patient/evil-headers', undefined, { 'if-modified-since': 'x'.repeat(5000) })).status).toBe(200);
    expectOutcome(await server().json('POST', 'Patient', patient(), { 'if-none-exist': '&&&==%%%' }), 400);
    // An unknown Prefer value is ignored, as RFC 7240 asks.
    expect((await server().json('POST', 'Patient', patient(), { prefer: 'return=' + 'x'.repeat(5000) })).status).toBe(201);
  });

  it('handles a Content-Type with odd parameters and case', async () => {
    const res = await server().json('POST', 'Patient', patient(), { 'content-type': 'Application/FHIR+JSON ; charset="utf-8"; x=y' });
    expect(res.status).toBe(201);
  });
});
