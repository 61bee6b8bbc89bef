import type { Parameters, Patient } from 'fhir/r4';
import { generatePopulation } from '../../bench/lib/patient-population';
import { Matcher, shippedMatchConfig } from '../../src/matching';
import { type DuplicatesState, type ScanEvent, scanDuplicates } from '../../src/matching/duplicate-scan';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The $find-duplicates scan at its module boundary, over a real store: every pair sharing a blocking key met once,
 * and a resumed scan (from any checkpoint) yielding exactly the pairs after it.
 */
let server: TestServer;
const matcher = new Matcher(shippedMatchConfig());
const population = generatePopulation({ people: 100, seed: 5, duplicateRate: 0.2, lookAlikeRate: 0.1 });

beforeAll(async () => {
  server = await startTestServer();
  const bundle = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: population.patients.map((p: Patient) => ({ resource: p, request: { method: 'PUT', url: `Patient/${p.id}` } })),
  };
  const res = await server.json('POST', '', bundle);
  expect(res.body.entry.every((e: { response: { status: string } }) => e.response.status.startsWith('201'))).toBe(true);
  // About 130 validated creates: on a machine shared with other work that can pass jest's 30 s.
}, 120_000);
afterAll(() => server.close());

const pairOf = (line: Parameters) => line.parameter!.slice(0, 2).map((p) => p.valueReference!.reference!.slice('Patient/'.length));

async function scan(start: DuplicatesState, pageSize: number, threshold = 0.5): Promise<ScanEvent[]> {
  const events: ScanEvent[] = [];
  for await (const e of scanDuplicates(server.systemRepo, matcher, { threshold }, start, { pageSize })) events.push(e);
  return events;
}
const lines = (events: ScanEvent[]) => events.flatMap((e) => ('line' in e ? [e.line] : []));

it('meets every duplicate pair once, lower id first, scored and graded with the fields behind the grade', async () => {
  const found = lines(await scan({ patients: 0, pairs: 0 }, 40));
  const pairs = found.map(pairOf);
  expect(new Set(pairs.map((p) => p.join(' '))).size).toBe(pairs.length);
  expect(pairs.every(([a, b]) => a < b)).toBe(true);
  const sameperson = pairs.filter(([a, b]) => population.personOf.get(a) === population.personOf.get(b));
  // Nearly every duplicate is found (a duplicate with two corruptions may score below the threshold).
  expect(sameperson.length).toBeGreaterThanOrEqual(population.duplicates.length * 0.9);
  const line = found[0];
  expect(line.parameter!.map((p) => p.name)).toEqual(expect.arrayContaining(['patient', 'candidate', 'score', 'grade', 'agrees']));
  const score = line.parameter!.find((p) => p.name === 'score')!.valueDecimal!;
  expect(score).toBeGreaterThanOrEqual(0.5);
  expect(['certain', 'probable', 'possible']).toContain(line.parameter!.find((p) => p.name === 'grade')!.valueCode);
});

it('keeps pairs at or above the threshold only', async () => {
  const strict = lines(await scan({ patients: 0, pairs: 0 }, 40, 0.999));
  expect(strict.length).toBeGreaterThan(0);
  expect(strict.every((l) => l.parameter!.find((p) => p.name === 'grade')!.valueCode === 'certain')).toBe(true);
});

it('resumes from a checkpoint with exactly the pairs that follow it', async () => {
  const events = await scan({ patients: 0, pairs: 0 }, 25);
  const checkpoints = events.flatMap((e, i) => ('checkpoint' in e ? [{ i, state: e.checkpoint }] : []));
  expect(checkpoints.length).toBeGreaterThan(3);
  const middle = checkpoints[Math.floor(checkpoints.length / 2)];
  const after = lines(events.slice(middle.i + 1));
  const resumed = await scan(middle.state, 25);
  expect(lines(resumed).map(pairOf)).toEqual(after.map(pairOf));
  expect(resumed.at(-1)).toEqual({ checkpoint: { after: expect.any(String), patients: population.patients.length, pairs: lines(events).length } });
});
