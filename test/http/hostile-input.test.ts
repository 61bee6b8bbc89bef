import { expectOutcome, type JsonResponse, patient, put, serverForThisFile } from '../router/support';

const server = serverForThisFile();

/** Bad input may be refused (4xx with an OperationOutcome) or accepted, but never answered as a server fault. */
function handledGracefully(res: JsonResponse): void {
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) expectOutcome(res, res.status);
}

describe('bodies that try to reach the database or the runtime', () => {
  it('stores MongoDB operator keys ($where, $gt) as plain data and returns them unchanged', async () => {
    const body = patient({ id: 'evil-ops', $where: 'sleep(10000)', name: [{ family: { $gt: '' } }], extension: [{ url: 'urn:x', $set: { del: true } }] });
    const res = await server().json('PUT', 'Patient/evil-ops', body);
    handledGracefully(res);
    if (res.status < 300) {
      const read = await server().json('GET', 'Patient/evil-ops');
      expect(read.body.$where).toBe('sleep(10000)');
      expect(read.body.name).toEqual([{ family: { $gt: '' } }]);
    }
  });

  it('refuses an id or resourceType that is an operator object', async () => {
    expectOutcome(await server().json('PUT', 'Patient/evil-id', { resourceType: 'Patient', id: { $ne: null } }), 400);
    expectOutcome(await server().json('POST', 'Patient', { resourceType: { $ne: 'x' } }), 400);
  });

  it('does not let __proto__ in a body or a JSON Patch pollute object prototypes', async () => {
    const res = await server().json('POST', 'Patient', '{"resourceType":"Patient","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}');
    handledGracefully(res);
    await put(server(), patient({ id: 'evil-proto' }));
    const patch = await server().json('PATCH', 'Patient/evil-proto', [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], {
      'content-type': 'application/json-patch+json',
    });
    handledGracefully(patch);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('handles escaped lone surrogates and control characters in strings', async () => {
    const res = await server().json('POST', 'Patient', '{"resourceType":"Patient","name":[{"family":"\\ud800\\u0000\\u001f"}]}');
    handledGracefully(res);
  });

  it('handles a body that is not valid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"resourceType":"Patient","name":[{"family":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]);
    const res = await server().api('Patient', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: bytes });
    expect(res.status).toBeLessThan(500);
  });

  it('handles a body with thousands of unknown elements', async () => {
    const fields = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]));
    handledGracefully(await server().json('POST', 'Patient', patient(fields)));
  });
});

describe('URLs built to break routing', () => {
  it('answers 400 for percent-garbage in the path', async () => {
    for (const path of ['Patient/%', 'Patient/%E0%A4%A', '%C0%AF/1', 'Patient/%uD800']) {
      expectOutcome(await server().json('GET', path), 400);
    }
  });

  it('answers 404, not a server error, for encoded separators, dots and NUL bytes', async () => {
    for (const path of ['Patient/%2F..%2F..%2Fetc%2Fpasswd', 'Patient/..', 'Patient/a%00b', '..%2F..%2FPatient', 'Patient/%2e%2e']) {
      handledGracefully(await server().json('GET', path));
    }
  });

  it('answers 404 for a 10,000-character id', async () => {
    expectOutcome(await server().json('GET', `Patient/${'x'.repeat(10_000)}`), 404);
  });

  it('survives a thousand query parameters', async () => {
    await put(server(), patient({ id: 'evil-query' }));
    const query = Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join('&');
    handledGracefully(await server().json('GET', `Patient/evil-query?${query}`));
    handledGracefully(await server().json('GET', `Patient/evil-query/_history?${query}`));
    const repeated = Array.from({ length: 1000 }, () => '_summary=true').join('&');
    handledGracefully(await server().json('GET', `Patient/evil-query?${repeated}`));
  });

  it('answers 400 for absurd paging values', async () => {
    for (const q of ['_count=1e308', '_count=99999999999999999999', '_since=9999999-01-01', `_page=${'A'.repeat(5000)}`, '_count=']) {
      handledGracefully(await server().json('GET', `Patient/_history?${q}`));
    }
    expectOutcome(await server().json('GET', 'Patient/_history?_count=1e308'), 400);
  });
});

describe('headers built to confuse', () => {
  it('handles oversized and malformed conditional headers', async () => {
    await put(server(), patient({ id: 'evil-headers' }));
    const long = `W/"${'9'.repeat(5000)}"`;
    handledGracefully(await server().json('PUT', 'Patient/evil-headers', patient({ id: 'evil-headers' }), { 'if-match': long }));
    handledGracefully(await server().json('GET', 'Patient/evil-headers', undefined, { 'if-none-match': long }));
    handledGracefully(await server().json('GET', 'Patient/evil-headers', undefined, { 'if-modified-since': 'x'.repeat(5000) }));
    handledGracefully(await server().json('POST', 'Patient', patient(), { 'if-none-exist': '&&&==%%%' }));
    handledGracefully(await server().json('POST', 'Patient', patient(), { prefer: 'return=' + 'x'.repeat(5000) }));
  });

  it('handles a Content-Type with odd parameters and case', async () => {
    const res = await server().json('POST', 'Patient', patient(), { 'content-type': 'Application/FHIR+JSON ; charset="utf-8"; x=y' });
    expect(res.status).toBe(201);
  });
});
