import type { Parameters } from 'fhir/r4';
import { downloadLines } from '../helpers/ndjson';
import { SSN, storedFerry } from '../matching/fixtures';
import { type Caller, type SecureServer, expectOutcome, put, startSecureServer } from '../security/support';

/**
 * `POST Patient/$find-duplicates` over HTTP: a job with $export's pattern (202 and Content-Location, polls with
 * X-Progress, a manifest of NDJSON files, DELETE cancels) whose lines are the pairs of Patients sharing a blocking
 * key that score at least the threshold, under the kick-off caller's policy.
 */
const person = storedFerry;

const PATIENTS = [
  person('fd-1', { identifier: [{ system: SSN, value: '999-12-3456' }] }),
  // The same man registered again: nickname, typo in the family name, day and month swapped.
  person('fd-2', { name: [{ family: 'Fery', given: ['Bill', 'Henry'] }], birthDate: '1970-12-04' }),
  // His twin brother: same family, birth date and home, another name.
  person('fd-3', { name: [{ family: 'Ferry', given: ['Walter', 'James'] }] }),
  // Two women, one registered twice with fields left out.
  person('fd-4', { name: [{ family: 'Okafor', given: ['Ngozi'] }], gender: 'female', birthDate: '1988-01-30', address: undefined, telecom: undefined }),
  person('fd-5', { name: [{ family: 'Okafor', given: ['Ngozi'] }], gender: undefined, birthDate: '1988-01-30', telecom: undefined, address: undefined }),
  person('fd-6', { name: [{ family: 'Lindqvist', given: ['Ada'] }], gender: 'female', birthDate: '1950-02-03', telecom: undefined, address: undefined }),
];

let server: SecureServer;
let systemToken: string;
beforeAll(async () => {
  server = await startSecureServer({ BULK_EXPORT_POLL: '20ms' });
  for (const p of PATIENTS) await put(server.system, p);
  systemToken = await server.sign({ scope: 'system/*.*' });
});
afterAll(() => server.close());

const kickOff = (caller: Caller, parameter: Parameters['parameter'] = []) => caller.json('POST', 'Patient/$find-duplicates', { resourceType: 'Parameters', parameter });

/** Polls until the job is no longer running; every 202 carries X-Progress ('queued' until a worker takes the job). */
async function finish(caller: Caller, location: string) {
  const path = location.slice(server.baseUrl.length + 1);
  for (;;) {
    const res = await caller.json('GET', path);
    if (res.status !== 202) return res;
    expect(res.headers.get('x-progress')).toMatch(/^(queued|\d+ of \d+ patients compared, \d+ pairs found)$/);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Pair {
  patient: string;
  candidate: string;
  score: number;
  grade: string;
  agrees: string[];
  differs: string[];
}

function pairOf(line: Parameters): Pair {
  const ps = line.parameter ?? [];
  const one = (name: string) => ps.find((p) => p.name === name);
  return {
    patient: one('patient')!.valueReference!.reference!,
    candidate: one('candidate')!.valueReference!.reference!,
    score: one('score')!.valueDecimal!,
    grade: one('grade')!.valueCode!,
    agrees: ps.filter((p) => p.name === 'agrees').map((p) => p.valueString!),
    differs: ps.filter((p) => p.name === 'differs').map((p) => p.valueString!),
  };
}

async function run(caller: Caller, token: string, parameter: Parameters['parameter'] = []): Promise<Pair[]> {
  const kick = await kickOff(caller, parameter);
  expect(kick.status).toBe(202);
  const done = await finish(caller, kick.headers.get('content-location') as string);
  expect(done.status).toBe(200);
  return (await downloadLines(done.body.output, token)).map(pairOf);
}

describe('Patient/$find-duplicates', () => {
  it('answers the kick-off with 202 and a $job-status URL, then a manifest of Parameters NDJSON files', async () => {
    const kick = await kickOff(server.system);
    expect(kick.status).toBe(202);
    const location = kick.headers.get('content-location') as string;
    expect(location).toMatch(new RegExp(`^${server.baseUrl.replace(/[.$]/g, '\\$&')}/\\$job-status/[0-9a-f-]{36}$`));
    const done = await finish(server.system, location);
    expect(done.status).toBe(200);
    expect(done.body.request).toBe(`${server.baseUrl}/Patient/$find-duplicates`);
    expect(done.body.output.length).toBeGreaterThan(0);
    expect(done.body.output.every((f: { type: string; url: string }) => f.type === 'Parameters' && f.url.includes('/$job-file/'))).toBe(true);
  });

  it('writes each duplicate pair once, with score, grade and the fields that agree and differ', async () => {
    const pairs = await run(server.system, systemToken);
    const ids = pairs.map((p) => `${p.patient} ${p.candidate}`);
    expect(new Set(ids).size).toBe(ids.length);
    const ferry = pairs.find((p) => p.patient === 'Patient/fd-1' && p.candidate === 'Patient/fd-2');
    // Nickname, typo and swapped date, outweighed by middle name, home and phone agreeing.
    expect(ferry).toEqual({
      patient: 'Patient/fd-1',
      candidate: 'Patient/fd-2',
      score: 0.999,
      grade: 'certain',
      agrees: ['family', 'given', 'middle', 'birthDate', 'gender', 'address', 'phone'],
      differs: [],
    });
    const okafor = pairs.find((p) => p.patient === 'Patient/fd-4' && p.candidate === 'Patient/fd-5');
    // Fields one side lacks are neither agreement nor difference.
    expect(okafor).toMatchObject({ grade: 'probable', agrees: ['family', 'given', 'birthDate'], differs: [] });
    // Twins and strangers are no pair at the default threshold (possible).
    expect(ids.filter((id) => id.includes('fd-3') || id.includes('fd-6'))).toEqual([]);
    expect(pairs.every((p) => p.score >= 0.5)).toBe(true);
  });

  it('keeps pairs at or above the threshold given', async () => {
    const strict = await run(server.system, systemToken, [{ name: 'threshold', valueDecimal: 0.99 }]);
    expect(strict.map((p) => `${p.patient} ${p.candidate}`)).toEqual(['Patient/fd-1 Patient/fd-2']);
    const everything = await run(server.system, systemToken, [{ name: 'threshold', valueDecimal: 0 }]);
    expect(everything.map((p) => p.grade)).toContain('certainly-not');
  });

  it('refuses a malformed or unknown parameter, and GET', async () => {
    expectOutcome(await kickOff(server.system, [{ name: 'threshold', valueDecimal: 1.5 }]), 400);
    expectOutcome(await kickOff(server.system, [{ name: 'threshold', valueString: 'high' }]), 400);
    expectOutcome(await kickOff(server.system, [{ name: 'resource', valueString: 'x' }]), 400);
    expect((await server.system.json('GET', 'Patient/$find-duplicates')).status).toBe(405);
  });

  it("runs under the kick-off caller's policy: a patient token's job finds no pair with another patient", async () => {
    const token = await server.sign({ scope: 'patient/*.rs', patient: 'fd-1' });
    expect(await run(server.as(token), token)).toEqual([]);
  });

  it('refuses a token that may not search Patients', async () => {
    expectOutcome(await kickOff(await server.scoped('system/Observation.rs')), 403);
  });

  it('cancels: DELETE on the status URL removes the job', async () => {
    const kick = await kickOff(server.system);
    const path = (kick.headers.get('content-location') as string).slice(server.baseUrl.length + 1);
    expect((await server.system.json('DELETE', path)).status).toBe(202);
    expect((await server.system.json('GET', path)).status).toBe(404);
  });
});
