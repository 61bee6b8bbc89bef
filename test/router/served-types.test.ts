import { expectOutcome, patient, serverForThisFile } from './support';

const server = serverForThisFile({ FHIR_RESOURCE_TYPES: 'Patient, Encounter' });

describe('FHIR_RESOURCE_TYPES restricts the served types', () => {
  it('serves the listed types', async () => {
    expect((await server().json('POST', 'Patient', patient())).status).toBe(201);
    const encounter = { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } };
    expect((await server().json('POST', 'Encounter', encounter)).status).toBe(201);
  });

  it('answers 404 for every interaction on a type not listed', async () => {
    const observation = { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } };
    expectOutcome(await server().json('POST', 'Observation', observation), 404);
    expectOutcome(await server().json('PUT', 'Observation/o1', observation), 404);
    expectOutcome(await server().json('GET', 'Observation/o1'), 404);
    expectOutcome(await server().json('GET', 'Observation/_history'), 404);
    expectOutcome(await server().json('DELETE', 'Observation/o1'), 404);
  });

  it('lists only the served types in the CapabilityStatement', async () => {
    const cs = (await server().json('GET', 'metadata')).body;
    expect(cs.rest[0].resource.map((r: any) => r.type).sort()).toEqual(['Encounter', 'Patient']);
  });

  it('does not route transaction entries to types that are not served', async () => {
    const res = await server().json('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } }],
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});
