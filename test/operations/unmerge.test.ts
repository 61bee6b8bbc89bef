import type { ParametersParameter } from 'fhir/r4';
import { startTestServer, type TestServer } from '../helpers/server';
import { content, loadSample, mergeParameters, moved, output, patient, readAll, record, references, store } from '../merge/support';

/**
 * Patient/$unmerge over HTTP in protected mode: a merge undone from its Provenance, each restored resource a new
 * version equal in content to the one before the merge; what changed since is refused (409) or left on the target.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const merge = (source: string, target: string, extra: ParametersParameter[] = []) => server.json('POST', 'Patient/$merge', mergeParameters(source, target, extra));
const unmerge = (source: string, target: string, extra: ParametersParameter[] = []) => server.json('POST', 'Patient/$unmerge', mergeParameters(source, target, extra));
const diagnostics = (res: { body: any }) => (res.body.issue ?? output(res.body, 'outcome')?.issue ?? []).map((i: { diagnostics: string }) => i.diagnostics);
const KEEP: ParametersParameter = { name: 'keep-changed-on-target', valueBoolean: true };

describe('merge then unmerge of a Synthea patient with hundreds of resources', () => {
  it('moves every reference to the target, then restores every resource as it was, each as a new version', async () => {
    const stored = await loadSample(server, 'Dannie_Schmitt_22d6efc6-2dc7-4f36-9d27-84fc6609c469.json');
    const sourceId = stored.find((r) => r.startsWith('Patient/'))!.slice('Patient/'.length);
    const generated = record(sourceId, 200, 'gen');
    await store(server, [patient('syn-tgt'), ...generated]);
    const refs = [...stored.filter((r) => r !== `Patient/${sourceId}`), ...generated.map((r) => `${r.resourceType}/${r.id}`)];
    const before = await readAll(server, [...refs, `Patient/${sourceId}`, 'Patient/syn-tgt']);
    const referencing = refs.filter((r) => references(before.get(r)).some((x) => x.startsWith(`Patient/${sourceId}`)));
    expect(referencing.length).toBeGreaterThan(280);

    const merged = await merge(sourceId, 'syn-tgt');
    expect(merged.status).toBe(200);
    const afterMerge = await readAll(server, refs);
    for (const r of refs) {
      const was = before.get(r);
      const moves = referencing.includes(r);
      // Each resource that referenced the source now references the target in the same places; the rest are untouched.
      expect(content(afterMerge.get(r))).toEqual(moves ? moved(was, sourceId, 'syn-tgt') : content(was));
      expect(afterMerge.get(r).meta.versionId).toBe(moves ? String(Number(was.meta.versionId) + 1) : was.meta.versionId);
    }

    const res = await unmerge(sourceId, 'syn-tgt');
    expect(res.status).toBe(200);
    expect(diagnostics(res)[0]).toMatch(new RegExp(`^Unmerged: restored Patient/${sourceId} and ${referencing.length} resources \\(Observation: `));
    const afterUnmerge = await readAll(server, [...refs, `Patient/${sourceId}`, 'Patient/syn-tgt']);
    for (const [r, was] of before) {
      expect(content(afterUnmerge.get(r))).toEqual(content(was));
      const writes = referencing.includes(r) || r === `Patient/${sourceId}` || r === 'Patient/syn-tgt' ? 2 : 0;
      expect(afterUnmerge.get(r).meta.versionId).toBe(String(Number(was.meta.versionId) + writes));
    }
    expect(content(output(res.body, 'source'))).toEqual(content(before.get(`Patient/${sourceId}`)));
    expect(output(res.body, 'target').link).toBeUndefined();
    // Writes naming the source are accepted again.
    expect(
      (await server.json('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${sourceId}` } }))
        .status,
    ).toBe(201);
  }, 180_000);
});

describe('Patient/$unmerge', () => {
  it('refuses (409) when a moved resource changed after the merge, listing each, unless asked to keep them on the target', async () => {
    await store(server, [patient('u-src'), patient('u-tgt'), ...record('u-src', 6)]);
    expect((await merge('u-src', 'u-tgt')).status).toBe(200);
    const changed = (await server.json('GET', 'Condition/u-src-3')).body;
    expect((await server.json('PUT', 'Condition/u-src-3', { ...changed, note: [{ text: 'added after the merge' }] })).status).toBe(200);
    expect((await server.json('DELETE', 'Encounter/u-src-2')).status).toBe(200);
    const unchanged = (await server.json('GET', 'Basic/u-src-5')).body;

    const refused = await unmerge('u-src', 'u-tgt');
    expect(refused.status).toBe(409);
    expect(diagnostics(refused)).toEqual([
      '2 resource(s) moved by the merge changed after it: unmerge with keep-changed-on-target=true to leave them on Patient/u-tgt',
      'Condition/u-src-3 changed after the merge (version 2 written by the merge, now 3)',
      'Encounter/u-src-2 changed after the merge (version 2 written by the merge, now 3, deleted)',
    ]);
    expect(refused.body.issue[1].expression).toEqual(['Condition/u-src-3']);
    expect((await server.json('GET', 'Basic/u-src-5')).body).toEqual(unchanged);

    const preview = await unmerge('u-src', 'u-tgt', [KEEP, { name: 'preview', valueBoolean: true }]);
    expect(diagnostics(preview)).toEqual([
      'Preview, nothing written: unmerging would restore Patient/u-src and 6 resources (Observation: 2, Basic: 1, Group: 1, Patient: 1, Procedure: 1) to it',
      'Changed after the merge, would stay on Patient/u-tgt: Condition/u-src-3, Encounter/u-src-2',
    ]);
    expect((await server.json('GET', 'Basic/u-src-5')).body).toEqual(unchanged);

    const kept = await unmerge('u-src', 'u-tgt', [KEEP]);
    expect(kept.status).toBe(200);
    expect(diagnostics(kept)[1]).toBe('Changed after the merge, left on Patient/u-tgt: Condition/u-src-3, Encounter/u-src-2');
    expect((await server.json('GET', 'Basic/u-src-5')).body.subject).toEqual({ reference: 'Patient/u-src' });
    expect((await server.json('GET', 'Condition/u-src-3')).body.subject).toEqual({ reference: 'Patient/u-tgt' });
  });

  it('keeps changes made to the target since the merge, taking out only its replaces link and copied identifiers', async () => {
    await store(server, [patient('t-src'), patient('t-tgt')]);
    expect((await merge('t-src', 't-tgt')).status).toBe(200);
    const target = (await server.json('GET', 'Patient/t-tgt')).body;
    expect((await server.json('PUT', 'Patient/t-tgt', { ...target, name: [{ family: 'Married' }] })).status).toBe(200);
    expect((await unmerge('t-src', 't-tgt')).status).toBe(200);
    expect(content((await server.json('GET', 'Patient/t-tgt')).body)).toEqual({ ...patient('t-tgt'), name: [{ family: 'Married' }] });
  });

  it('undoes chains in reverse order only, and refuses what is not a merge of these two', async () => {
    await store(server, [patient('ch-a'), patient('ch-b'), patient('ch-c'), patient('ch-x'), ...record('ch-a', 4)]);
    const before = await readAll(server, ['Observation/ch-a-0', 'Encounter/ch-a-2']);
    expect((await merge('ch-a', 'ch-b')).status).toBe(200);
    expect((await merge('ch-b', 'ch-c')).status).toBe(200);

    expect(diagnostics(await unmerge('ch-x', 'ch-c'))).toEqual(['Patient/ch-x is not merged into another patient (by this server): there is nothing to unmerge']);
    expect(diagnostics(await unmerge('ch-a', 'ch-c'))).toEqual(['Patient/ch-a was merged into Patient/ch-b, not Patient/ch-c']);
    const outOfOrder = await unmerge('ch-a', 'ch-b');
    expect({ status: outOfOrder.status, text: diagnostics(outOfOrder) }).toEqual({
      status: 422,
      text: ['Patient/ch-b has since been merged into Patient/ch-c: unmerge that merge first, then this one'],
    });

    expect((await unmerge('ch-b', 'ch-c')).status).toBe(200);
    expect((await server.json('GET', 'Observation/ch-a-0')).body.subject).toEqual({ reference: 'Patient/ch-b' });
    expect((await unmerge('ch-a', 'ch-b')).status).toBe(200);
    const after = await readAll(server, ['Observation/ch-a-0', 'Encounter/ch-a-2']);
    for (const [r, was] of before) expect(content(after.get(r))).toEqual(content(was));
  });
});
