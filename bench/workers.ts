import path from 'node:path';
import { benchCrud } from './crud';
import type { LoadResult } from './lib/load-gen';
import { startChildServer } from './lib/server-process';

export interface WorkersResult {
  /** CRUD mix per server layout: one process as `npm start` runs it, and `WORKERS=2` (node:cluster, one store). */
  layouts: Record<string, Record<string, LoadResult>>;
}

/** A stored Patient for the CRUD mix's Encounters and Conditions to refer to. */
async function patientOn(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/Patient`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Workers' }] }),
  });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || !body.id) throw new Error(`creating the bench patient answered ${res.status}`);
  return body.id;
}

/**
 * The CRUD mix at c16 and c64 against one server process and against two workers on one port (`WORKERS=2`: the
 * primary runs the embedded engine on a thread, each worker is a server), each on a fresh store. On a machine with
 * two cores the workers and the engine share them: the figure says what a second process buys there.
 */
export async function benchWorkers(opts: { workDir: string; seconds: number }): Promise<WorkersResult> {
  const layouts: WorkersResult['layouts'] = {};
  for (const [name, env] of [
    ['1 process', {}],
    ['2 workers', { WORKERS: '2' }],
  ] as const) {
    const server = await startChildServer({ dataDir: path.join(opts.workDir, `workers-${name.replace(/\W/g, '')}`), env });
    try {
      const patientId = await patientOn(server.baseUrl);
      layouts[name] = await benchCrud({ baseUrl: server.baseUrl, patientId, connections: [16, 64], seconds: opts.seconds });
    } finally {
      await server.stop();
    }
  }
  return { layouts };
}
