import type { AuditEvent } from 'fhir/r4';
import { type Caller, type SecureServer, expectOutcome, startSecureServer } from '../security/support';
import { mergeParameters, patient, record, store } from './support';

/**
 * Who may merge (src/merge/authorize.ts): a user or system token with read and update on Patient and on every type
 * the merge changes, none restricted by a search. A patient's token is refused outright, learning nothing about the
 * other patient; a token lacking a type the record holds is refused before anything is written. Every merge, allowed
 * or not, is audited, an allowed one naming both patients.
 */
let server: SecureServer;
let full: Caller;
beforeAll(async () => {
  server = await startSecureServer();
  await store(server.system, [patient('az-src'), patient('az-tgt'), ...record('az-src', 6)]);
  full = await server.scoped('user/*.cruds');
});
afterAll(() => server.close());

const merge = (caller: Caller, source = 'az-src', target = 'az-tgt') => caller.json('POST', 'Patient/$merge', mergeParameters(source, target));
const versions = async () => {
  const refs = ['Patient/az-src', 'Patient/az-tgt', 'Observation/az-src-0', 'Encounter/az-src-2', 'Basic/az-src-5'];
  return Promise.all(refs.map(async (r) => (await server.system.json('GET', r)).body.meta.versionId));
};
const text = (res: { body: any }) => res.body.issue.map((i: { diagnostics: string }) => i.diagnostics).join(' | ');

describe('who may merge', () => {
  it("refuses a patient's token, whichever side its patient is on, without reading the other patient", async () => {
    const before = await versions();
    for (const [own, scope] of [
      ['az-src', 'patient/*.cruds'],
      ['az-tgt', 'patient/*.cruds'],
    ]) {
      const res = await merge(await server.patient(own, scope));
      expectOutcome(res, 403, 'forbidden');
      expect(text(res)).toBe("Patient/$merge changes two patients' records: it needs a user or system token, not one bound to a patient");
    }
    // Same answer for a patient that does not exist: nothing is learnt about the other side.
    expect(text(await merge(await server.patient('az-src', 'patient/*.cruds'), 'az-src', 'no-such-patient'))).toMatch(/not one bound to a patient/);
    expect(await versions()).toEqual(before);
  });

  it('refuses a token lacking read and update on a type the record holds, naming the types, before writing anything', async () => {
    const before = await versions();
    const patientsOnly = await merge(await server.scoped('user/Patient.cruds'));
    expectOutcome(patientsOnly, 403, 'forbidden');
    expect(text(patientsOnly)).toBe(
      'Patient/$merge needs read and update, without a search restriction, on every type it changes; the access token lacks them on Basic, Condition, Encounter, Group, Observation, Procedure',
    );
    const readOnly = await merge(await server.scoped('user/*.rs'));
    expect(text(readOnly)).toMatch(/lacks them on Patient$/);
    const restricted = await merge(
      await server.scoped(
        'user/Patient.cruds user/Basic.cruds user/Condition.cruds user/Encounter.cruds user/Group.cruds user/Procedure.cruds user/Observation.cruds?status=final',
      ),
    );
    expect(text(restricted)).toMatch(/lacks them on Observation$/);
    const preview = await (
      await server.scoped('user/Patient.cruds')
    ).json('POST', 'Patient/$merge', mergeParameters('az-src', 'az-tgt', [{ name: 'preview', valueBoolean: true }]));
    expectOutcome(preview, 403, 'forbidden');
    expect(await versions()).toEqual(before);
  });

  it('lets a user token with the grants merge and unmerge, and audits it naming both patients', async () => {
    const res = await merge(full);
    expect(res.status).toBe(200);
    expect((await server.system.json('GET', 'Observation/az-src-0')).body.subject).toEqual({ reference: 'Patient/az-tgt' });
    expect((await full.json('POST', 'Patient/$unmerge', mergeParameters('az-src', 'az-tgt'))).status).toBe(200);

    await server.system.json('GET', 'AuditEvent/$verify-chain');
    const events = ((await server.system.json('GET', 'AuditEvent?_count=1000')).body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource as AuditEvent);
    const of = (operation: string) => events.filter((e: AuditEvent) => e.entity?.some((x) => x.description === `Patient/$${operation}`));
    const patientsNamed = (e: AuditEvent) => (e.entity ?? []).filter((x) => x.role?.code === '1').map((x) => x.what?.reference);
    const succeeded = (e: AuditEvent) => e.outcome === '0';
    for (const operation of ['merge', 'unmerge']) {
      const done = of(operation).filter(succeeded);
      expect(done).toHaveLength(1);
      expect(patientsNamed(done[0])).toEqual(expect.arrayContaining(['Patient/az-src', 'Patient/az-tgt']));
    }
    // The refusals above were audited too.
    expect(of('merge').filter((e: AuditEvent) => !succeeded(e))).toHaveLength(7);
  });
});
