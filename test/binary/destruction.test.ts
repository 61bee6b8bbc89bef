import { rawPut } from './support';
import { type SecureServer, put, startSecureServer } from '../security/support';
import { approveBody, coordinator, finish, review, seedRecord } from '../destruction/support';

/**
 * Certified destruction takes a record's bytes out of GridFS with its Binaries, every version: those whose
 * securityContext names what goes, and one without a securityContext that an attachment of the record points to.
 * A Binary of another record keeps its bytes.
 */
let server: SecureServer;
const LARGE = Buffer.alloc(2048, 'z');

/** The GridFS files and version links the store holds. */
async function stored(): Promise<{ files: number; chunks: number; links: string[] }> {
  const db = server.store.db;
  return {
    files: await db.collection('binary.files').countDocuments(),
    chunks: await db.collection('binary.chunks').countDocuments(),
    links: (await db.collection<{ _id: string }>('binary_versions').find().toArray()).map((l) => l._id).sort(),
  };
}

beforeAll(async () => {
  server = await startSecureServer({ BULK_EXPORT_POLL: '20ms', ATTACHMENT_INLINE_LIMIT: '1kb' });
  const system = server.system;
  await seedRecord(system, 'old-1', 'Zebediah', '2004-03-01');
  await seedRecord(system, 'recent', 'Recent', '2020-01-01');
  // Two versions of a Binary without a securityContext, which only the record's attachment points to.
  await rawPut(server, 'bin-loose', 'scan of Zebediah, v1');
  await rawPut(server, 'bin-loose', 'scan of Zebediah, v2');
  await rawPut(server, 'bin-recent', 'scan of Recent', 'Patient/recent');
  await put(system, {
    resourceType: 'DocumentReference',
    id: 'doc-old-1',
    status: 'current',
    subject: { reference: 'Patient/old-1' },
    // The first attachment is moved to a Binary of its own on write (over the inline limit).
    content: [{ attachment: { contentType: 'text/plain', data: LARGE.toString('base64') } }, { attachment: { contentType: 'text/plain', url: 'Binary/bin-loose' } }],
  });
  await rawPut(server, 'bin-ctx', 'letter to Zebediah', 'DocumentReference/doc-old-1');
  expect((await stored()).links).toHaveLength(5);
  const alice = await coordinator(server, 'alice');
  const bob = await coordinator(server, 'bob');
  const reviewed = await review(server, alice);
  const kick = await bob.caller.json('POST', '$destruction-approve', approveBody(reviewed.location));
  expect(kick.status).toBe(202);
  expect((await finish(server, bob.caller, kick.headers.get('content-location') as string)).status).toBe(200);
});

afterAll(() => server.close());

test("the record's Binaries are gone, their bytes with them; another record's stay", async () => {
  for (const path of ['Binary/bin-loose', 'Binary/bin-loose/_history/1', 'Binary/bin-ctx', 'DocumentReference/doc-old-1']) {
    expect((await server.system.json('GET', path)).status).toBe(404);
  }
  const left = await stored();
  // bin-recent, and the certificate's own Binaries when they are over the inline limit.
  expect(left.links.filter((l) => !l.startsWith('destruction-'))).toEqual(['bin-recent/1']);
  expect(left.files).toBe(left.links.length);
  const recent = await server.api('Binary/bin-recent', { headers: { authorization: `Bearer ${await server.sign({ scope: 'system/*.*' })}` } });
  expect(await recent.text()).toBe('scan of Recent');
});
