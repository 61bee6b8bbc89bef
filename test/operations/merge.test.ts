import type { ParametersParameter } from 'fhir/r4';
import { startTestServer, type TestServer } from '../helpers/server';
import { content, mergeParameters, moved, output, patient, readAll, record, references, store } from '../merge/support';

/**
 * Patient/$merge over HTTP in protected mode (the unrestricted policy): what a merge changes, what it leaves, what
 * it refuses. Grants are in test/merge/authorization.test.ts, races in test/merge/concurrency.test.ts, the guard
 * on later writes in test/merge/write-guard.test.ts.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const merge = (source: string, target: string, extra: ParametersParameter[] = []) => server.json('POST', 'Patient/$merge', mergeParameters(source, target, extra));
const PREVIEW: ParametersParameter = { name: 'preview', valueBoolean: true };
const diagnostics = (res: { body: any }) => (res.body.issue ?? output(res.body, 'outcome')?.issue ?? []).map((i: { diagnostics: string }) => i.diagnostics).join(' | ');

describe('Patient/$merge', () => {
  it('moves every reference to the source, in any element, to the target; marks both patients; records every version', async () => {
    const resources = record('m-src', 60);
    await store(server, [patient('m-src'), patient('m-tgt'), ...resources]);
    // The record of what happened to the source stays as it is.
    const audit = await server.json('POST', 'Provenance', {
      resourceType: 'Provenance',
      target: [{ reference: 'Patient/m-src' }],
      recorded: '2024-01-01T00:00:00Z',
      agent: [{ who: { display: 'registrar' } }],
    });
    expect(audit.status).toBe(201);
    const refs = resources.map((r) => `${r.resourceType}/${r.id}`);
    const before = await readAll(server, refs);

    const res = await merge('m-src', 'm-tgt');
    expect(res.status).toBe(200);
    expect(output(res.body, 'input')).toEqual(mergeParameters('m-src', 'm-tgt'));
    const target = output(res.body, 'result');
    expect(target).toMatchObject({ id: 'm-tgt', active: true, meta: { versionId: '2' } });
    expect(target.link).toEqual([{ other: { reference: 'Patient/m-src' }, type: 'replaces' }]);
    expect(target.identifier).toEqual([
      { system: 'urn:test:mrn', value: 'mrn-m-tgt' },
      { system: 'urn:test:mrn', value: 'mrn-m-src', use: 'old' },
    ]);
    expect(diagnostics(res)).toMatch(
      /merged into Patient\/m-tgt: 62 resources \(Observation: 20, Basic: 10, Condition: 10, Encounter: 10, Procedure: 10, Group: 1, Patient: 1\)/,
    );

    const after = await readAll(server, refs);
    for (const r of refs) {
      expect(content(after.get(r))).toEqual(moved(before.get(r), 'm-src', 'm-tgt'));
      expect(references(after.get(r)).filter((x) => x.startsWith('Patient/m-src'))).toEqual([]);
      expect(Number(after.get(r).meta.versionId)).toBe(Number(before.get(r).meta.versionId) + 1);
    }
    const source = (await server.json('GET', 'Patient/m-src')).body;
    expect(source).toMatchObject({ active: false, link: [{ other: { reference: 'Patient/m-tgt' }, type: 'replaced-by' }] });
    expect((await server.json('GET', `Provenance/${audit.body.id}`)).body.target).toEqual([{ reference: 'Patient/m-src' }]);

    // The merge's Provenance names every version it wrote: the two patients, then each moved resource.
    const provenanceId = /Provenance\/([\w-]+)/.exec(diagnostics(res))![1];
    const provenance = (await server.json('GET', `Provenance/${provenanceId}`)).body;
    expect(provenance.activity.coding[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'merge' });
    expect(provenance.target.map((t: { reference: string }) => t.reference).sort()).toEqual(
      ['Patient/m-src/_history/2', 'Patient/m-tgt/_history/2', ...refs.map((r) => `${r}/_history/${after.get(r).meta.versionId}`)].sort(),
    );
    // Searches follow: the target's compartment now holds the record, the source's nothing but the records of it.
    const compartment = await server.json('GET', 'Observation?subject=Patient/m-tgt&_summary=count');
    expect(compartment.body.total).toBe(20);
    expect((await server.json('GET', 'Observation?subject=Patient/m-src&_summary=count')).body.total).toBe(0);
  });

  it('preview answers the same counts and target and writes nothing', async () => {
    const resources = record('p-src', 12);
    await store(server, [patient('p-src'), patient('p-tgt'), ...resources]);
    const refs = ['Patient/p-src', 'Patient/p-tgt', ...resources.map((r) => `${r.resourceType}/${r.id}`)];
    const before = await readAll(server, refs);

    const res = await merge('p-src', 'p-tgt', [PREVIEW]);
    expect(res.status).toBe(200);
    expect(diagnostics(res)).toMatch(/^Preview, nothing written: .* would move 14 resources \(Observation: 4, Basic: 2/);
    expect(output(res.body, 'result')).toMatchObject({ id: 'p-tgt', link: [{ other: { reference: 'Patient/p-src' }, type: 'replaces' }] });
    expect(await readAll(server, refs)).toEqual(before);
    // And a merge after it is the one previewed.
    expect(diagnostics(await merge('p-src', 'p-tgt'))).toMatch(/: 14 resources \(Observation: 4, Basic: 2/);
  });

  it('finds the patients by identifier: all given must be on the one Patient found', async () => {
    await store(server, [patient('i-src'), patient('i-tgt'), patient('i-dup1'), patient('i-dup2')]);
    for (const id of ['i-dup1', 'i-dup2']) {
      await server.json('PUT', `Patient/${id}`, { ...patient(id), identifier: [{ system: 'urn:test:shared', value: 'same' }] });
    }
    const byIdentifier = (value: string, system = 'urn:test:mrn'): ParametersParameter => ({ name: 'source-patient-identifier', valueIdentifier: { system, value } });
    const params = (...p: ParametersParameter[]) => ({
      resourceType: 'Parameters',
      parameter: [...p, { name: 'target-patient', valueReference: { reference: 'Patient/i-tgt' } }, PREVIEW],
    });

    const found = await server.json('POST', 'Patient/$merge', params(byIdentifier('mrn-i-src')));
    expect(found.status).toBe(200);
    expect(diagnostics(found)).toContain('merging Patient/i-src into Patient/i-tgt');

    const none = await server.json('POST', 'Patient/$merge', params(byIdentifier('nobody')));
    expect({ status: none.status, text: diagnostics(none) }).toEqual({ status: 422, text: expect.stringMatching(/matches no Patient/) });
    const several = await server.json('POST', 'Patient/$merge', params(byIdentifier('same', 'urn:test:shared')));
    expect({ status: several.status, text: diagnostics(several) }).toEqual({ status: 422, text: expect.stringMatching(/matches several Patients/) });
    const mismatch = await server.json(
      'POST',
      'Patient/$merge',
      params({ name: 'source-patient', valueReference: { reference: 'Patient/i-src' } }, byIdentifier('mrn-i-dup1')),
    );
    expect({ status: mismatch.status, text: diagnostics(mismatch) }).toEqual({ status: 422, text: expect.stringMatching(/does not have the identifier/) });
  });

  it('refuses what R5 calls business-rule failures with 422, and bad parameters with 400', async () => {
    await store(server, [patient('r-a'), patient('r-b'), { ...patient('r-inactive'), active: false } as never]);
    const refused = async (res: Promise<{ status: number; body: any }>, status: number, text: RegExp) => {
      const r = await res;
      expect({ status: r.status, text: diagnostics(r) }).toEqual({ status, text: expect.stringMatching(text) });
    };
    await refused(merge('r-a', 'r-a'), 422, /cannot be merged into itself/);
    await refused(merge('r-a', 'r-inactive'), 422, /Patient\/r-inactive is inactive/);
    await refused(merge('r-a', 'r-nobody'), 404, /Patient\/r-nobody is not known/);
    await refused(
      server.json('POST', 'Patient/$merge', { resourceType: 'Parameters', parameter: [{ name: 'source-patient', valueReference: { reference: 'Patient/r-a' } }] }),
      400,
      /needs target-patient/,
    );
    await refused(merge('r-a', 'r-b', [{ name: 'source_patient', valueString: 'x' }]), 400, /has no parameter "source_patient"/);
    await refused(merge('r-a', 'r-b', [{ name: 'preview', valueString: 'yes' }]), 400, /"preview" must be a valueBoolean/);
    await refused(server.json('POST', 'Patient/$merge', mergeParameters('r-a', 'Observation/x' as string)), 400, /must reference a Patient/);
    // Nothing was written by any of them.
    expect((await server.json('GET', 'Patient/r-a')).body.meta.versionId).toBe('1');
  });

  it('chains forwards: A into B, then B into C; a merged patient is neither a source nor a target again', async () => {
    await store(server, [patient('c-a'), patient('c-b'), patient('c-c'), ...record('c-a', 3), ...record('c-b', 3)]);
    expect((await merge('c-a', 'c-b')).status).toBe(200);
    const again = await merge('c-a', 'c-c');
    expect({ status: again.status, text: diagnostics(again) }).toEqual({ status: 422, text: expect.stringMatching(/Patient\/c-a was already merged into Patient\/c-b/) });
    expect((await merge('c-b', 'c-c')).status).toBe(200);
    const intoMerged = await merge('c-c', 'c-a');
    expect({ status: intoMerged.status, text: diagnostics(intoMerged) }).toEqual({
      status: 422,
      text: expect.stringMatching(/Patient\/c-a was itself merged into Patient\/c-c/),
    });
    // Both records are now on C, including what came from A through B.
    const onC = await server.json('GET', 'Encounter?subject=Patient/c-c&_summary=count');
    expect(onC.body.total).toBe(2);
    expect((await server.json('GET', 'Patient/c-c')).body.identifier.map((i: { value: string }) => i.value)).toEqual(['mrn-c-c', 'mrn-c-b', 'mrn-c-a']);
  });

  it('takes the target as result-patient gives it, with its replaces link, copying no identifier', async () => {
    await store(server, [patient('rp-src'), patient('rp-tgt')]);
    const result = { resourceType: 'Patient', id: 'rp-tgt', active: true, name: [{ family: 'Chosen' }], identifier: [{ system: 'urn:test:mrn', value: 'mrn-rp-tgt' }] };
    const res = await merge('rp-src', 'rp-tgt', [{ name: 'result-patient', resource: result as never }]);
    expect(res.status).toBe(200);
    const stored = (await server.json('GET', 'Patient/rp-tgt')).body;
    expect(content(stored)).toEqual({ ...result, link: [{ other: { reference: 'Patient/rp-src' }, type: 'replaces' }] });

    await store(server, [patient('rp-other')]);
    const other = await merge('rp-other', 'rp-tgt', [{ name: 'result-patient', resource: { ...result, id: 'elsewhere' } as never }]);
    expect({ status: other.status, text: diagnostics(other) }).toEqual({ status: 400, text: 'result-patient has id "elsewhere" but the target is Patient/rp-tgt' });
  });
});

describe('Patient/$merge of a record under legal hold (issue 20)', () => {
  it('refuses (409, naming the hold) to merge away a record held on itself or on one of its resources, writing nothing', async () => {
    await store(server, [patient('h-src'), patient('h-tgt'), patient('h-src2'), patient('h-free'), ...record('h-src', 2), ...record('h-src2', 2)]);
    const hold = (path: string) =>
      server.json('POST', `${path}/$hold`, {
        resourceType: 'Parameters',
        parameter: [
          { name: 'matter', valueString: 'Case 19-20' },
          { name: 'reason', valueString: 'litigation' },
        ],
      });
    expect((await hold('Patient/h-src')).status).toBe(201);
    expect((await hold('Observation/h-src2-0')).status).toBe(201);
    for (const source of ['h-src', 'h-src2']) {
      const res = await merge(source, 'h-tgt');
      expect({ status: res.status, text: diagnostics(res) }).toEqual({
        status: 409,
        text: expect.stringMatching(new RegExp(`^The record of Patient/${source} is under legal hold: Basic/`)),
      });
    }
    expect((await server.json('GET', 'Observation/h-src-0')).body.meta.versionId).toBe('1');
    // A held target still takes a record in: nothing of its own moves.
    expect((await hold('Patient/h-tgt')).status).toBe(201);
    expect((await merge('h-free', 'h-tgt')).status).toBe(200);
  });
});

describe('Patient/$merge beyond one transaction: a job', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ MERGE_MAX_TRANSACTION_RESOURCES: '5', BULK_EXPORT_POLL: '20ms' });
  });
  afterAll(() => small.close());

  async function finish(location: string) {
    for (;;) {
      const res = await small.json('GET', location.slice(small.baseUrl.length + 1));
      if (res.status !== 202) return res;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('answers 202 with a Task, moves the record in transactions of at most the limit, and ends as one merge', async () => {
    const resources = record('big-src', 16);
    await store(small, [patient('big-src'), patient('big-tgt'), ...resources]);
    const refs = resources.map((r) => `${r.resourceType}/${r.id}`);
    const before = await readAll(small, refs);

    const preview = await small.json('POST', 'Patient/$merge', mergeParameters('big-src', 'big-tgt', [PREVIEW]));
    expect({ status: preview.status, text: diagnostics(preview) }).toEqual({ status: 200, text: expect.stringMatching(/would move 18 resources/) });

    const kick = await small.json('POST', 'Patient/$merge', mergeParameters('big-src', 'big-tgt'));
    expect(kick.status).toBe(202);
    const location = kick.headers.get('content-location') as string;
    expect(location).toMatch(/\/\$job-status\/[0-9a-f-]{36}$/);
    expect(output(kick.body, 'input')).toEqual(mergeParameters('big-src', 'big-tgt'));
    const task = kick.body.parameter.find((p: { name: string }) => p.name === 'task').valueReference.reference;
    expect(task).toMatch(/^Task\//);

    const done = await finish(location);
    expect(done.status).toBe(200);
    expect(done.body.output).toEqual([{ type: 'Parameters', count: 1, url: expect.stringContaining('/$job-file/') }]);
    const file = await small.api(done.body.output[0].url.slice(small.baseUrl.length + 1));
    const answer = JSON.parse((await file.text()).trim());
    expect(output(answer, 'result')).toMatchObject({ id: 'big-tgt', link: [{ other: { reference: 'Patient/big-src' }, type: 'replaces' }] });
    expect(output(answer, 'outcome').issue[0].diagnostics).toMatch(/merged into Patient\/big-tgt: 18 resources/);

    const after = await readAll(small, refs);
    for (const r of refs) expect(content(after.get(r))).toEqual(moved(before.get(r), 'big-src', 'big-tgt'));
    expect((await small.json('GET', 'Patient/big-src')).body).toMatchObject({ active: false, link: [{ type: 'replaced-by' }] });
    // Batches of at most 5 resources, each with its Provenance, then the last step's with both Patients.
    const ended = (await small.json('GET', task)).body;
    expect(ended.status).toBe('completed');
    const provenances = ended.output.filter((o: { type: { text: string } }) => o.type.text === 'provenance');
    expect(provenances).toHaveLength(5);
    for (const p of provenances) {
      const targets = (await small.json('GET', p.valueReference.reference)).body.target;
      expect(targets.length).toBeLessThanOrEqual(5);
    }
    // The job's state is the same as a merge in one transaction: writes naming the source are refused.
    expect(
      (await small.json('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/big-src' } })).status,
    ).toBe(422);
  });

  it('undoes a merge of that size by a job too: 409 at once for what changed since, then every resource restored in batches', async () => {
    const resources = record('bu-src', 16);
    await store(small, [patient('bu-src'), patient('bu-tgt'), ...resources]);
    const refs = resources.map((r) => `${r.resourceType}/${r.id}`);
    const before = await readAll(small, [...refs, 'Patient/bu-src', 'Patient/bu-tgt']);
    expect((await finish((await small.json('POST', 'Patient/$merge', mergeParameters('bu-src', 'bu-tgt'))).headers.get('content-location') as string)).status).toBe(200);
    const unmerge = (extra: ParametersParameter[] = []) => small.json('POST', 'Patient/$unmerge', mergeParameters('bu-src', 'bu-tgt', extra));

    // A moved resource changed after the merge: refused before any job starts, and the record is not locked.
    const changed = refs.find((r) => r.startsWith('Observation/')) as string;
    const now = (await small.json('GET', changed)).body;
    expect((await small.json('PUT', changed, { ...now, status: 'amended' })).status).toBe(200);
    const refused = await unmerge();
    expect(refused.status).toBe(409);
    expect(diagnostics(refused)).toContain(`${changed} changed after the merge`);
    expect((await unmerge([PREVIEW])).status).toBe(409);
    const preview = await unmerge([PREVIEW, { name: 'keep-changed-on-target', valueBoolean: true }]);
    expect({ status: preview.status, text: diagnostics(preview) }).toEqual({
      status: 200,
      text: expect.stringMatching(/would restore Patient\/bu-src and 17 resources/),
    });

    const kick = await unmerge([{ name: 'keep-changed-on-target', valueBoolean: true }]);
    expect(kick.status).toBe(202);
    const task = kick.body.parameter.find((p: { name: string }) => p.name === 'task').valueReference.reference;
    const done = await finish(kick.headers.get('content-location') as string);
    expect(done.status).toBe(200);
    const answer = JSON.parse((await (await small.api(done.body.output[0].url.slice(small.baseUrl.length + 1))).text()).trim());
    expect(diagnostics({ body: answer })).toMatch(
      /Unmerged: restored Patient\/bu-src and 17 resources .*Changed after the merge, left on Patient\/bu-tgt: Observation\//,
    );
    expect(output(answer, 'source')).toMatchObject({ id: 'bu-src' });

    const after = await readAll(small, [...refs, 'Patient/bu-src', 'Patient/bu-tgt']);
    for (const [r, was] of before) {
      if (r === changed) {
        expect(content(after.get(r))).toEqual(moved({ ...was, status: 'amended' }, 'bu-src', 'bu-tgt'));
        continue;
      }
      // As before the merge, as a new version (merged, then restored).
      expect(content(after.get(r))).toEqual(content(was));
      expect(Number(after.get(r).meta.versionId)).toBe(Number(was.meta.versionId) + 2);
    }
    // Batches of 4 restored resources and their Provenance (17: 5 batches), then the last step's with both Patients.
    const ended = (await small.json('GET', task)).body;
    expect(ended.status).toBe('completed');
    const provenances = ended.output.filter((o: { type: { text: string } }) => o.type.text === 'provenance');
    expect(provenances.length).toBe(6);
    for (const p of provenances) expect((await small.json('GET', p.valueReference.reference)).body.target.length).toBeLessThanOrEqual(5);
    expect(
      (await small.json('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/bu-src' } })).status,
    ).toBe(201);
  });
});
