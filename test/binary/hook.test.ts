import { createHash } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server';

/** Inline data over ATTACHMENT_INLINE_LIMIT (here 1 KB) leaves the resource for a Binary of its own, on every write path. */
let server: TestServer;

const LARGE = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 31) % 256));
const SMALL = Buffer.from('a short note');
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('base64');

const docRef = (attachment: Record<string, unknown>, id?: string) => ({
  resourceType: 'DocumentReference',
  ...(id ? { id } : {}),
  status: 'current',
  subject: { reference: 'Patient/p1' },
  content: [{ attachment: { contentType: 'application/pdf', ...attachment } }],
});

beforeAll(async () => {
  server = await startTestServer({ ATTACHMENT_INLINE_LIMIT: '1kb' });
  await server.json('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1' });
});

afterAll(async () => {
  await server.close();
});

async function binaryCount(): Promise<number> {
  return (await server.json('GET', 'Binary?_summary=count')).body.total;
}

/** The attachment as stored points to a Binary of this server holding exactly `bytes`, readable through the url. */
async function expectMoved(attachment: any, bytes: Buffer, owner: string): Promise<void> {
  expect(attachment.data).toBeUndefined();
  expect(attachment.url).toMatch(/^Binary\/[0-9a-f-]{36}$/);
  expect(attachment.size).toBe(bytes.length);
  expect(attachment.hash).toBe(sha1(bytes));
  const raw = await server.api(attachment.url);
  expect(raw.headers.get('content-type')).toBe(attachment.contentType);
  expect(Buffer.from(await raw.arrayBuffer()).equals(bytes)).toBe(true);
  const binary = await server.json('GET', `${attachment.url}?_elements=securityContext`);
  expect(binary.body.securityContext).toEqual({ reference: owner });
}

describe('inline attachment data', () => {
  test('over the limit, POST moves it to a Binary whose securityContext is the resource, with url, size and hash', async () => {
    const res = await server.json('POST', 'DocumentReference', docRef({ data: LARGE.toString('base64') }));
    expect(res.status).toBe(201);
    await expectMoved(res.body.content[0].attachment, LARGE, `DocumentReference/${res.body.id}`);
    const read = await server.json('GET', `DocumentReference/${res.body.id}`);
    expect(read.body.content[0].attachment).toEqual(res.body.content[0].attachment);
  });

  test('at or under the limit, it stays inline', async () => {
    const res = await server.json('POST', 'DocumentReference', docRef({ data: SMALL.toString('base64') }));
    expect(res.body.content[0].attachment).toEqual({ contentType: 'application/pdf', data: SMALL.toString('base64') });
  });

  test('PUT, PATCH and transaction entries move it too; any type with an Attachment (Media) is covered', async () => {
    const put = await server.json('PUT', 'DocumentReference/put-1', docRef({ data: LARGE.toString('base64') }, 'put-1'));
    expect(put.body.issue).toBeUndefined();
    await expectMoved(put.body.content[0].attachment, LARGE, 'DocumentReference/put-1');
    const patch = await server.api('DocumentReference/put-1', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json', accept: 'application/fhir+json' },
      body: JSON.stringify([{ op: 'replace', path: '/content/0/attachment', value: { contentType: 'text/plain', data: LARGE.toString('base64') } }]),
    });
    expect(patch.status).toBe(200);
    const patched = (await patch.json()) as any;
    await expectMoved(patched.content[0].attachment, LARGE, 'DocumentReference/put-1');
    expect(patched.content[0].attachment.url).not.toBe(put.body.content[0].attachment.url);
    const tx = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          request: { method: 'POST', url: 'Media' },
          resource: {
            resourceType: 'Media',
            status: 'completed',
            subject: { reference: 'Patient/p1' },
            content: { contentType: 'image/png', data: LARGE.toString('base64') },
          },
        },
      ],
    });
    expect(tx.status).toBe(200);
    const media = await server.json('GET', tx.body.entry[0].response.location.replace(/\/_history\/\d+$/, ''));
    await expectMoved(media.body.content, LARGE, `Media/${media.body.id}`);
  });

  test('a transaction that fails leaves no Binary behind', async () => {
    const before = await binaryCount();
    const tx = await server.json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'POST', url: 'DocumentReference' }, resource: docRef({ data: LARGE.toString('base64') }) },
        { request: { method: 'PUT', url: 'Patient/bad' }, resource: { resourceType: 'Patient', id: 'bad', gender: 'not-a-gender' } },
      ],
    });
    expect(tx.status).toBeGreaterThanOrEqual(400);
    expect(await binaryCount()).toBe(before);
  });

  test('a size or hash that does not fit the data is 422 with an OperationOutcome; fitting ones are kept', async () => {
    const wrongSize = await server.json('POST', 'DocumentReference', docRef({ data: SMALL.toString('base64'), size: SMALL.length + 1 }));
    expect(wrongSize.status).toBe(422);
    expect(wrongSize.body.resourceType).toBe('OperationOutcome');
    expect(wrongSize.body.issue[0].diagnostics).toMatch(/size 13 does not match the 12 bytes/);
    const wrongHash = await server.json('POST', 'DocumentReference', docRef({ data: LARGE.toString('base64'), hash: sha1(SMALL) }));
    expect(wrongHash.status).toBe(422);
    expect(wrongHash.body.issue[0].diagnostics).toMatch(/not the SHA-1/);
    const right = await server.json('POST', 'DocumentReference', docRef({ data: LARGE.toString('base64'), size: LARGE.length, hash: sha1(LARGE) }));
    expect(right.status).toBe(201);
  });

  test("an attachment by url to a Binary of this server is checked against that Binary's bytes", async () => {
    const up = await server.api('Binary', { method: 'POST', headers: { 'content-type': 'application/pdf', accept: 'application/fhir+json' }, body: LARGE });
    const url = `Binary/${((await up.json()) as any).id}`;
    expect((await server.json('POST', 'DocumentReference', docRef({ url, size: 5 }))).status).toBe(422);
    expect((await server.json('POST', 'DocumentReference', docRef({ url, hash: sha1(SMALL) }))).status).toBe(422);
    expect((await server.json('POST', 'DocumentReference', docRef({ url: `${server.baseUrl}/${url}`, size: LARGE.length, hash: sha1(LARGE) }))).status).toBe(201);
  });
});

describe('a Binary sent as FHIR JSON', () => {
  test('over the limit, its data is stored out of line: read and search give it back', async () => {
    const res = await server.json('POST', 'Binary', { resourceType: 'Binary', contentType: 'application/pdf', data: LARGE.toString('base64') });
    expect(res.status).toBe(201);
    expect(res.body.data).toBeUndefined();
    const read = await server.json('GET', `Binary/${res.body.id}`);
    expect(read.body.data).toBe(LARGE.toString('base64'));
    const search = await server.json('GET', `Binary?_id=${res.body.id}`);
    expect(search.body.entry[0].resource).toEqual(read.body);
  });
});
