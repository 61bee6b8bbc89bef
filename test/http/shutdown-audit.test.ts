import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditEvent, Bundle } from 'fhir/r4';
import { spawnServer } from '../helpers/server-process';

const internal = process.env.MONGODB_URI ? describe.skip : describe;

internal('a clean shutdown under load', () => {
  it('records an AuditEvent for every request it answered, also those answered while it stopped', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-shutdown-audit-'));
    try {
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
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      stop = true;
      await Promise.all(writers);
      expect(server.lines.filter((l) => String(l.msg).startsWith('audit: event after close'))).toEqual([]);
      const again = await spawnServer({ DATA_DIR: dataDir });
      try {
        const audited = new Set<string | undefined>();
        for (let url: string | undefined = `${again.baseUrl}/AuditEvent?subtype=update&_count=1000&_elements=entity`; url;) {
          const page = (await (await fetch(url)).json()) as Bundle<AuditEvent>;
          for (const e of page.entry ?? []) for (const x of e.resource!.entity ?? []) audited.add(x.what?.reference);
          url = page.link?.find((l) => l.relation === 'next')?.url;
        }
        expect(answered.filter((id) => !audited.has(`Patient/${id}`) && !audited.has(`Patient/${id}/_history/1`))).toEqual([]);
      } finally {
        again.child.kill('SIGTERM');
        await again.exited;
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
