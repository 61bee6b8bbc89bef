import { downloadLines } from '../helpers/ndjson';
import { type Caller, put, type SecureServer } from '../security/support';

/** The review date of these tests: adults whose last encounter ended before 2015-06-01 are due (default policy: 10 years). */
export const REVIEW_DATE = '2025-06-01';

/** A user token with every user/ grant: what a records coordinator's app holds. */
export const coordinator = async (server: SecureServer, who: string) => {
  const token = await server.sign({ scope: 'user/*.*', fhirUser: `Practitioner/${who}`, sub: who });
  return { token, caller: server.as(token) };
};

/** Polls a job's status URL until it is done; resolves with the final answer. */
export async function finish(server: SecureServer, caller: Caller, location: string) {
  const path = location.slice(server.baseUrl.length + 1);
  for (;;) {
    const res = await caller.json('GET', path);
    if (res.status !== 202) return res;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a review for REVIEW_DATE as `caller`: its status URL and its output and error lines. */
export async function review(server: SecureServer, who: { token: string; caller: Caller }, date = REVIEW_DATE) {
  const kick = await who.caller.json('POST', '$destruction-review', { resourceType: 'Parameters', parameter: [{ name: 'date', valueDate: date }] });
  if (kick.status !== 202) throw new Error(`review: ${kick.status} ${JSON.stringify(kick.body)}`);
  const location = kick.headers.get('content-location') as string;
  const done = await finish(server, who.caller, location);
  return { location, manifest: done.body, output: await downloadLines(done.body.output, who.token), errors: await downloadLines(done.body.error, who.token) };
}

export const approveBody = (location: string) => ({ resourceType: 'Parameters', parameter: [{ name: 'review', valueUri: location }] });

/** A patient with a name, an encounter ended on `ended`, and an Observation and a Condition. */
export async function seedRecord(system: Caller, id: string, family: string, ended: string) {
  await put(system, { resourceType: 'Patient', id, name: [{ family, given: ['Test'] }], birthDate: '1950-01-01' });
  await put(system, {
    resourceType: 'Encounter',
    id: `enc-${id}`,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${id}` },
    period: { start: ended, end: ended },
  });
  await put(system, { resourceType: 'Observation', id: `obs-${id}`, status: 'final', code: { text: `glucose of ${family}` }, subject: { reference: `Patient/${id}` } });
  await put(system, { resourceType: 'Condition', id: `cond-${id}`, subject: { reference: `Patient/${id}` }, code: { text: 'asthma' } });
}

/** The Parameters of `$hold` and `$release-hold`. */
export const holdParameters = (matter: string, reason: string) => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'matter', valueString: matter },
    { name: 'reason', valueString: reason },
  ],
});

/** Places a legal hold on a patient's record, or on `target`, one of its resources (`$hold`, src/retention/). */
export async function hold(system: Caller, patient: string, matter: string, target = `Patient/${patient}`) {
  const res = await system.json('POST', `${target}/$hold`, holdParameters(matter, 'litigation'));
  if (res.status >= 300) throw new Error(`$hold: ${res.status} ${JSON.stringify(res.body)}`);
  return `Basic/${res.body.id}`;
}
