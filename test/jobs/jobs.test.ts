import type { Parameters } from 'fhir/r4';
import { simpleKind } from '../../src/jobs';
import type { Operation } from '../../src/operations/operation';
import { downloadLines } from '../helpers/ndjson';
import { A, B, type Caller, put, startSecureServer, type SecureServer } from '../security/support';

/**
 * A job kind of the shape every asynchronous operation has (src/jobs/simple-kind.ts): it lists the Patients its
 * caller may read, one Parameters line each, checkpointing after every line, and reports one problem line.
 */
const listPatients = simpleKind<{ note: string }, { after?: string }>({
  kind: 'list-patients',
  async run(job, ctx) {
    let count = job.processed;
    for await (const doc of ctx.repo.find('Patient', ctx.state?.after ? { _id: { $gt: ctx.state.after } } : {}, { sort: { _id: 1 } })) {
      const line: Parameters = { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: `Patient/${doc._id}` } }] };
      await ctx.write('Parameters', line);
      await ctx.checkpoint({ after: doc._id }, ++count);
    }
    await ctx.write(
      'OperationOutcome',
      { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'informational', diagnostics: job.plan.params.note }] },
      'error',
    );
    return count;
  },
});

/**
 * A kind whose run outlives its stored lease while it still runs: as on an instance too busy to renew in time (a
 * long query, a loaded machine), the job's lease is in the past when its worker polls for work. Counts its runs.
 */
let runsOfLapsed = 0;
const outlivesItsLease = simpleKind<Record<string, never>, never>({
  kind: 'outlives-lease',
  async run(job, ctx) {
    runsOfLapsed++;
    await server.store.db.collection<{ _id: string }>('bulk_jobs').updateOne({ _id: job._id }, { $set: { leaseUntil: new Date(1) } });
    await new Promise((r) => setTimeout(r, 300)); // 15 polls of the worker, no renewal due (the lease is 30 s)
    await ctx.write('Parameters', { resourceType: 'Parameters', parameter: [{ name: 'run', valueInteger: runsOfLapsed }] });
    return 1;
  },
});

let server: SecureServer;
let systemToken: string;
beforeAll(async () => {
  server = await startSecureServer({ BULK_EXPORT_POLL: '20ms' }, (s) => {
    s.jobs!.register(listPatients);
    s.jobs!.register(outlivesItsLease);
    const op: Operation = {
      definition: {
        resourceType: 'OperationDefinition',
        id: 'list-patients',
        url: 'urn:test:list-patients',
        name: 'ListPatients',
        status: 'active',
        kind: 'operation',
        code: 'list-patients',
        system: true,
        type: false,
        instance: false,
        affectsState: true,
      },
      handler: (ctx, req) => s.jobs!.startJob(ctx, req, 'list-patients', { note: 'a note for the error file' }),
    };
    const lapsed: Operation = {
      definition: { ...op.definition, id: 'outlives-lease', url: 'urn:test:outlives-lease', name: 'OutlivesLease', code: 'outlives-lease' },
      handler: (ctx, req) => s.jobs!.startJob(ctx, req, 'outlives-lease', {}),
    };
    return { ...s, operations: [...(s.operations ?? []), op, lapsed] };
  });
  for (const id of [A, B, 'pat-c']) await put(server.system, { resourceType: 'Patient', id });
  systemToken = await server.sign({ scope: 'system/*.*' });
});
afterAll(() => server.close());

async function finish(caller: Caller, location: string) {
  const path = location.slice(server.baseUrl.length + 1);
  for (;;) {
    const res = await caller.json('GET', path);
    if (res.status !== 202) return res;
    expect(res.headers.get('x-progress')).toBeTruthy();
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = (token: string | undefined, files: Array<{ url: string }>) => downloadLines(files, token);

describe('asynchronous jobs of a kind other than export', () => {
  it('answers the kick-off with 202 and a $job-status URL, then a manifest of NDJSON files', async () => {
    const kick = await server.system.json('POST', '$list-patients', { resourceType: 'Parameters' });
    expect(kick.status).toBe(202);
    const location = kick.headers.get('content-location') as string;
    expect(location).toMatch(new RegExp(`^${server.baseUrl.replace(/[.$]/g, '\\$&')}/\\$job-status/[0-9a-f-]{36}$`));
    const done = await finish(server.system, location);
    expect(done.status).toBe(200);
    expect(done.body.request).toBe(`${server.baseUrl}/$list-patients`);
    expect(done.body).not.toHaveProperty('deleted');
    // Each checkpoint completes the files written so far: this kind checkpoints after every line.
    expect(done.body.output).toHaveLength(3);
    expect(done.body.output[0]).toEqual({ type: 'Parameters', count: 1, url: expect.stringContaining('/$job-file/') });
    const rows = await lines(systemToken, done.body.output);
    expect(rows.map((r) => r.parameter[0].valueReference.reference)).toEqual([`Patient/${A}`, `Patient/${B}`, 'Patient/pat-c']);
    const errors = await lines(systemToken, done.body.error);
    expect(errors[0].issue[0].diagnostics).toBe('a note for the error file');
  });

  it("runs under the kick-off caller's policy: a patient token's job sees only its patient", async () => {
    const token = await server.sign({ scope: 'patient/*.rs', patient: A });
    const patientA = server.as(token);
    const kick = await patientA.json('POST', '$list-patients', { resourceType: 'Parameters' });
    expect(kick.status).toBe(202);
    const done = await finish(patientA, kick.headers.get('content-location') as string);
    const rows = await lines(token, done.body.output);
    expect(rows.map((r) => r.parameter[0].valueReference.reference)).toEqual([`Patient/${A}`]);
  });

  it('shows the job to its own access context only, and under its own family of URLs', async () => {
    const kick = await server.system.json('POST', '$list-patients', { resourceType: 'Parameters' });
    const location = kick.headers.get('content-location') as string;
    const id = location.split('/').pop();
    await finish(server.system, location);
    const patientB = await server.patient(B, 'patient/*.rs');
    expect((await patientB.json('GET', `$job-status/${id}`)).status).toBe(403);
    expect((await server.system.json('GET', `$export-status/${id}`)).status).toBe(404);
  });

  it('removes a cancelled job and its files', async () => {
    const kick = await server.system.json('POST', '$list-patients', { resourceType: 'Parameters' });
    const path = (kick.headers.get('content-location') as string).slice(server.baseUrl.length + 1);
    expect((await server.system.json('DELETE', path)).status).toBe(202);
    expect((await server.system.json('GET', path)).status).toBe(404);
  });

  it('records the job in the AuditEvent of its kick-off and of each poll', async () => {
    const kick = await server.system.json('POST', '$list-patients', { resourceType: 'Parameters' });
    const location = kick.headers.get('content-location') as string;
    await finish(server.system, location);
    let events: any[] = [];
    for (let i = 0; i < 50 && events.length < 2; i++) {
      const found = await server.system.json('GET', 'AuditEvent?_count=200');
      events = (found.body.entry ?? []).filter((e: any) => e.resource.entity?.some((x: any) => x.what?.identifier?.value === location));
      if (events.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    const descriptions = events.flatMap((e) => e.resource.entity.map((x: { description?: string }) => x.description));
    expect(descriptions).toContain('Asynchronous list-patients job');
  });

  it('never starts a second run of a job its own worker is running when the stored lease lapsed: the job completes once', async () => {
    const kick = await server.system.json('POST', '$outlives-lease', { resourceType: 'Parameters' });
    expect(kick.status).toBe(202);
    const done = await finish(server.system, kick.headers.get('content-location') as string);
    expect(done.status).toBe(200);
    expect(runsOfLapsed).toBe(1);
    const rows = await lines(systemToken, done.body.output);
    expect(rows).toEqual([{ resourceType: 'Parameters', parameter: [{ name: 'run', valueInteger: 1 }] }]);
  });
});
