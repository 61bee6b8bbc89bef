import { auditEvents, spawnServer, stopServer, withServer, withTempDir } from '../helpers/server-process';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

internal('a clean shutdown under load', () => {
  it('records an AuditEvent for every request it answered, also those answered while it stopped', async () => {
    await withTempDir('fhirstone-shutdown-audit-', async (dataDir) => {
      const server = await spawnServer({ DATA_DIR: dataDir });
      let stop = false;
      const answered: string[] = [];
      const writer = async (n: number) => {
        for (let i = 0; !stop; i++) {
          const id = `w${n}-${i}`;
          const res = await fetch(`${server.baseUrl}/Patient/${id}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/fhir+json' },
            body: JSON.stringify({ resourceType: 'Patient', id }),
          }).catch(() => undefined);
          if (!res) return;
          await res.arrayBuffer().catch(() => undefined);
          if (res.status === 201) answered.push(id);
        }
      };
      const writers = [...Array(16)].map((_, n) => writer(n));
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await stopServer(server)).code).toBe(0);
      stop = true;
      await Promise.all(writers);
      expect(server.lines.filter((l) => String(l.msg).startsWith('audit: event after close'))).toEqual([]);
      await withServer({ DATA_DIR: dataDir }, async (again) => {
        const audited = new Set<string | undefined>();
        for (const event of await auditEvents(again.baseUrl, 'AuditEvent?subtype=update&_count=1000&_elements=entity')) {
          for (const x of event.entity ?? []) audited.add(x.what?.reference);
        }
        expect(answered.filter((id) => !audited.has(`Patient/${id}`) && !audited.has(`Patient/${id}/_history/1`))).toEqual([]);
      });
    });
  }, 90_000);
});
