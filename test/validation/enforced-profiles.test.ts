import { ConfigError, loadConfig } from '../../src/config';
import { startTestServer, type TestServer } from '../helpers/server';

const US_CORE_PATIENT = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient';

describe('ENFORCE_PROFILES', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ENFORCE_PROFILES: `Patient=${US_CORE_PATIENT}` });
  });
  afterAll(async () => {
    await server.close();
  });

  it('rejects with 422 a Patient that does not meet the enforced profile, though it declares none', async () => {
    const res = await server.json('POST', 'Patient', { resourceType: 'Patient', active: true });
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body)).toContain('us-core-patient');
  });

  it('accepts a Patient that meets it', async () => {
    const res = await server.json('POST', 'Patient', {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:mrn', value: '1' }],
      name: [{ family: 'Shaw', given: ['Amy'] }],
      gender: 'female',
    });
    expect(res.status).toBe(201);
  });

  it('leaves other types alone', async () => {
    const res = await server.json('POST', 'Organization', { resourceType: 'Organization', name: 'Acme' });
    expect(res.status).toBe(201);
  });
});

it('rejects malformed ENFORCE_PROFILES at start-up', () => {
  expect(() => loadConfig({ ENFORCE_PROFILES: 'Patient' })).toThrow(ConfigError);
  expect(() => loadConfig({ ENFORCE_PROFILES: 'NotAType=http://x.org/p' })).toThrow(/Type=profileUrl/);
});
