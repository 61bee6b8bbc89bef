import type { Checkpoint } from '../../src/bulk/export-job';
import { gate, patient, startBulkServer, type BulkTestServer } from './helpers';

const OLD = new Date('2020-01-01T00:00:00Z');
const put = (server: BulkTestServer, id: string, family: string) =>
  server.api(`Patient/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', id, name: [{ family }] }),
  });

async function collect(server: BulkTestServer, location: string | null) {
  const done = await server.waitDone(location as string);
  expect(done.status).toBe(200);
  const output: any[] = [];
  const deleted: any[] = [];
  for (const f of done.body.output) output.push(...(await server.lines(f.url)));
  for (const f of done.body.deleted) deleted.push(...(await server.lines(f.url)));
  return { output, deleted, manifest: done.body };
}

describe('$export with _since', () => {
  let server: BulkTestServer;
  beforeAll(async () => {
    server = await startBulkServer();
    await server.seed([patient('keep'), patient('changed'), patient('gone'), patient('gone-and-back')], OLD);
    expect((await put(server, 'changed', 'Updated')).status).toBe(200);
    expect((await server.api('Patient/gone', { method: 'DELETE' })).ok).toBe(true);
    expect((await server.api('Patient/gone-and-back', { method: 'DELETE' })).ok).toBe(true);
    expect((await put(server, 'gone-and-back', 'Back')).status).toBe(201);
    expect((await put(server, 'new', 'New')).status).toBe(201);
  });
  afterAll(() => server.close());

  it('exports only what changed after _since, and lists deletions as transaction Bundles', async () => {
    const { output, deleted, manifest } = await collect(server, (await server.kickoff('$export?_since=2021-01-01T00:00:00Z')).headers.get('content-location'));
    expect(output.map((r) => r.id).sort()).toEqual(['changed', 'gone-and-back', 'new']);
    expect(output.find((r) => r.id === 'changed').name[0].family).toBe('Updated');
    expect(manifest.deleted).toEqual([expect.objectContaining({ type: 'Bundle', count: 1 })]);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: 'Patient/gone' } }] });
  });

  it('exports every live resource and no deletions without _since', async () => {
    const { output, manifest } = await collect(server, (await server.kickoff('$export')).headers.get('content-location'));
    expect(output.map((r) => r.id).sort()).toEqual(['changed', 'gone-and-back', 'keep', 'new']);
    expect(manifest.deleted).toEqual([]);
  });

  it('exports the state as of _until, with versions written later replaced by the one current then', async () => {
    const { output, manifest } = await collect(server, (await server.kickoff('$export?_until=2021-01-01T00:00:00Z')).headers.get('content-location'));
    expect(manifest.transactionTime).toBe('2021-01-01T00:00:00.000Z');
    expect(output.map((r) => [r.id, r.meta.versionId]).sort()).toEqual([
      ['changed', '1'],
      ['gone', '1'],
      ['gone-and-back', '1'],
      ['keep', '1'],
    ]);
  });
});

describe('$export during concurrent writes', () => {
  it('reflects its transactionTime: later updates, deletes and creates do not show, nothing is doubled', async () => {
    const paused = gate();
    const resume = gate();
    let first = true;
    const server = await startBulkServer(
      { BULK_EXPORT_MAX_LINES: '2' },
      {
        hooks: {
          async afterCheckpoint(_job, cp: Checkpoint) {
            if (!first || cp.files.length === 0) return;
            first = false;
            paused.open();
            await resume.opened;
          },
        },
      },
    );
    try {
      await server.seed(
        ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => patient(id, `v1-${id}`)),
        OLD,
      );
      const location = (await server.kickoff('$export?_type=Patient')).headers.get('content-location');
      await paused.opened; // a and b are in the first file; c..f are not exported yet
      expect((await put(server, 'a', 'v2-a')).status).toBe(200);
      expect((await put(server, 'e', 'v2-e')).status).toBe(200);
      expect((await server.api('Patient/f', { method: 'DELETE' })).ok).toBe(true);
      expect((await put(server, 'g', 'v1-g')).status).toBe(201);
      resume.open();

      const { output } = await collect(server, location);
      expect(output.map((r) => r.id).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
      for (const r of output) expect(r.name[0].family).toBe(`v1-${r.id}`);
    } finally {
      resume.open();
      await server.close();
    }
  });
});
