import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Hostile and malformed transaction/batch bundles (spec 3.1.0.11). A malformed entry is the client's error: 400 with
 * an OperationOutcome naming the entry and the element, never a 500. A transaction fails as a whole; in a batch the
 * malformed entry gets its own 400 and the other entries are processed.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const base64 = (text: string) => Buffer.from(text).toString('base64');
const ok = (family: string) => ({ resource: { resourceType: 'Patient', name: [{ family }] }, request: { method: 'POST', url: 'Patient' } });
const get = { request: { method: 'GET', url: 'Patient/none' } };
const binaryPatch = (data: unknown) => ({
  resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data },
  request: { method: 'PATCH', url: 'Patient/malformed-target' },
});

/** [what is wrong, the element the OperationOutcome must name (below Bundle.entry[i]), the entry] */
const MALFORMED: Array<[string, string, unknown]> = [
  ['entry is null', '', null],
  ['entry is a string', '', 'GET Patient'],
  ['entry is an array', '', [get]],
  ['request is missing', '.request', { resource: { resourceType: 'Patient' } }],
  ['request is a string', '.request', { request: 'GET Patient' }],
  ['request.method is missing', '.request.method', { request: { url: 'Patient' } }],
  ['request.method is a number', '.request.method', { request: { method: 1, url: 'Patient' } }],
  ['request.method is an object', '.request.method', { request: { method: { GET: true }, url: 'Patient' } }],
  ['request.method is not an HTTP verb of FHIR', '.request.method', { request: { method: 'TRACE', url: 'Patient' } }],
  ['request.method is not the code (lower case)', '.request.method', { request: { method: 'get', url: 'Patient' } }],
  ['request.url is missing', '.request.url', { request: { method: 'GET' } }],
  ['request.url is a number', '.request.url', { request: { method: 'GET', url: 5 } }],
  ['request.url is an object', '.request.url', { request: { method: 'GET', url: { path: 'Patient' } } }],
  ['request.url is empty', '.request.url', { request: { method: 'GET', url: '' } }],
  ['request.url is on another server', '.request.url', { request: { method: 'GET', url: 'http://elsewhere.example/fhir/Patient' } }],
  [
    'request.url nests a bundle at the base',
    '.request.url',
    {
      resource: { resourceType: 'Bundle', type: 'transaction', entry: [] },
      request: { method: 'POST', url: '/' },
    },
  ],
  ['fullUrl is a number', '.fullUrl', { ...ok('FullUrlNumber'), fullUrl: 42 }],
  ['fullUrl is an object', '.fullUrl', { ...ok('FullUrlObject'), fullUrl: { uuid: 'x' } }],
  ['resource is a string', '.resource', { resource: 'Patient', request: { method: 'POST', url: 'Patient' } }],
  ['resource is null', '.resource', { resource: null, request: { method: 'POST', url: 'Patient' } }],
  ['resource has no resourceType', '.resource.resourceType', { resource: { name: [{ family: 'X' }] }, request: { method: 'POST', url: 'Patient' } }],
  ['ifNoneExist is an object', '.request.ifNoneExist', { ...ok('IneObject'), request: { method: 'POST', url: 'Patient', ifNoneExist: { identifier: 'x' } } }],
  ['ifMatch is a number', '.request.ifMatch', { request: { method: 'DELETE', url: 'Patient/x', ifMatch: 1 } }],
  ['ifNoneMatch is an array', '.request.ifNoneMatch', { request: { method: 'GET', url: 'Patient/x', ifNoneMatch: ['W/"1"'] } }],
  ['ifModifiedSince is a number', '.request.ifModifiedSince', { request: { method: 'GET', url: 'Patient/x', ifModifiedSince: 1700000000 } }],
  ['ifModifiedSince is not an instant', '.request.ifModifiedSince', { request: { method: 'GET', url: 'Patient/x', ifModifiedSince: 'yesterday' } }],
  ['a JSON Patch Binary whose data is not JSON', '.resource.data', binaryPatch(base64('not json'))],
  ['a JSON Patch Binary whose data is a number', '.resource.data', binaryPatch(7)],
  ['a JSON Patch Binary without data', '.resource.data', binaryPatch(undefined)],
];

describe('a malformed entry in a transaction', () => {
  it.each(MALFORMED)('%s: 400 naming Bundle.entry[2]%s', async (_what, element, bad) => {
    const res = await server.json('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [ok('TxBefore'), get, bad] });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].expression).toContain(`Bundle.entry[2]${element}`);
    expect(res.body.issue[0].diagnostics).toContain(`Bundle.entry[2]${element}`);
  });

  it('commits none of the well-formed entries', async () => {
    await server.json('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [ok('NeverStored'), { request: { method: 7, url: 'Patient' } }] });
    expect((await server.json('GET', 'Patient?family=NeverStored&_summary=count')).body.total).toBe(0);
  });
});

describe('a malformed entry in a batch', () => {
  it.each(MALFORMED)("%s: that entry's own 400 naming Bundle.entry[1]%s, the others processed", async (_what, element, bad) => {
    const res = await server.json('POST', '', { resourceType: 'Bundle', type: 'batch', entry: [ok('BatchBefore'), bad, ok('BatchAfter')] });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '400 Bad Request', '201 Created']);
    const outcome = res.body.entry[1].response.outcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].expression).toContain(`Bundle.entry[1]${element}`);
  });
});

describe('Bundle.entry that is not an array', () => {
  it.each([
    ['an object', { request: { method: 'GET', url: 'Patient' } }],
    ['a string', 'entries'],
    ['a number', 3],
    ['null', null],
  ])('is 400 naming Bundle.entry when it is %s', async (_what, entry) => {
    for (const type of ['transaction', 'batch']) {
      const res = await server.json('POST', '', { resourceType: 'Bundle', type, entry });
      expect(res.status).toBe(400);
      expect(res.body.issue[0].expression).toContain('Bundle.entry');
    }
  });
});

describe('hostile values in every element of an entry', () => {
  /** Well-formed entries of each method; each is then broken one element at a time. */
  const templates = (): any[] => [
    {
      fullUrl: 'urn:uuid:4f6a1c2e-0000-4000-8000-000000000001',
      resource: { resourceType: 'Patient', id: 'hostile-1', identifier: [{ system: 'urn:hostile', value: '1' }] },
      request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:hostile|1' },
    },
    { resource: { resourceType: 'Patient', id: 'hostile-2' }, request: { method: 'PUT', url: 'Patient/hostile-2', ifMatch: 'W/"1"' } },
    { request: { method: 'GET', url: 'Patient/hostile-2', ifNoneMatch: 'W/"1"', ifModifiedSince: '2020-01-01T00:00:00Z' } },
    { ...binaryPatch(base64('[]')), request: { method: 'PATCH', url: 'Patient/hostile-2', ifMatch: 'W/"1"' } },
    { request: { method: 'DELETE', url: 'Patient?identifier=urn:hostile|2' } },
  ];
  const paths = [
    [],
    ['fullUrl'],
    ['resource'],
    ['resource', 'resourceType'],
    ['resource', 'id'],
    ['resource', 'data'],
    ['request'],
    ['request', 'method'],
    ['request', 'url'],
    ['request', 'ifNoneExist'],
    ['request', 'ifMatch'],
    ['request', 'ifNoneMatch'],
    ['request', 'ifModifiedSince'],
  ];
  const values: unknown[] = [null, 0, true, '', 'x'.repeat(5000), [], [null], {}, { $where: 'sleep(1000)' }, '?', '../..'];
  // Transactions fail as a whole, so each broken entry is its own request: fewer values keep that quick.
  const fewerValues = [null, 0, '', [], {}, 'x'.repeat(5000)];

  function broken(values: unknown[]): unknown[] {
    const out = new Map<string, unknown>();
    for (const template of templates()) {
      for (const path of paths) {
        for (const value of values) {
          if (path.length === 0) {
            out.set(JSON.stringify(value), value);
            continue;
          }
          const entry = structuredClone(template);
          let at = entry;
          for (const key of path.slice(0, -1)) at = at[key] && typeof at[key] === 'object' ? at[key] : (at[key] = {});
          at[path[path.length - 1]] = value;
          out.set(JSON.stringify(entry), entry);
        }
      }
    }
    return [...out.values()];
  }

  it('never make a batch or one of its entries answer 5xx', async () => {
    const entries = broken(values);
    const res = await server.json('POST', '', { resourceType: 'Bundle', type: 'batch', entry: entries });
    expect(res.status).toBe(200);
    const serverErrors = res.body.entry
      .map((e: any, i: number) => [e.response.status, JSON.stringify(entries[i]).slice(0, 200)])
      .filter(([status]: [string]) => status.startsWith('5'));
    expect(serverErrors).toEqual([]);
  });

  it('never make a transaction answer 5xx', async () => {
    const failures: string[] = [];
    for (const entry of broken(fewerValues)) {
      const res = await server.json('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [entry] });
      if (res.status >= 500) failures.push(`${res.status} ${JSON.stringify(entry).slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });
});
