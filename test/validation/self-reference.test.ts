import { readFileSync } from 'node:fs';
import { expectOutcome, serverForThisFile } from '../router/support';

const server = serverForThisFile({ FHIR_RESOURCE_TYPES: 'Patient,Encounter,DocumentReference' });

const officialExample = () => JSON.parse(readFileSync(require.resolve('hl7.fhir.r4.examples/DocumentReference-example.json'), 'utf8')) as Record<string, unknown>;

describe('a write whose resource refers to itself', () => {
  beforeAll(async () => {
    for (const [type, id] of [
      ['Patient', 'xcda'],
      ['Encounter', 'xcda'],
    ]) {
      const body = type === 'Patient' ? { resourceType: type, id } : { resourceType: type, id, status: 'finished', class: { code: 'AMB' } };
      expect((await server().json('PUT', `${type}/${id}`, body)).status).toBe(201);
    }
  });

  it('stores the official DocumentReference example (relatesTo DocumentReference/example) with a plain PUT', async () => {
    const res = await server().json('PUT', 'DocumentReference/example', officialExample());
    expect([res.status, res.body?.issue]).toEqual([201, undefined]);
  });

  it('still refuses a reference to another resource of the same type that does not exist', async () => {
    const other = { ...officialExample(), id: 'example-2', relatesTo: [{ code: 'appends', target: { reference: 'DocumentReference/nowhere' } }] };
    expectOutcome(await server().json('PUT', 'DocumentReference/example-2', other), 422, 'not-found');
  });
});
