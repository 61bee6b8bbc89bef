import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

describe('two servers in one process', () => {
  const LISTED = 'http://example.org/fhir/StructureDefinition/listed-patient';
  let dir: string;
  let enforcing: TestServer;
  let plain: TestServer;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-'));
    const profile = {
      resourceType: 'StructureDefinition',
      url: LISTED,
      name: 'ListedPatient',
      status: 'active',
      kind: 'resource',
      abstract: false,
      type: 'Patient',
      derivation: 'constraint',
      snapshot: { element: [{ id: 'Patient', path: 'Patient', min: 0, max: '*' }] },
    };
    fs.writeFileSync(path.join(dir, 'StructureDefinition-listed-patient.json'), JSON.stringify(profile));
    // The plain one starts second: its start-up must not undo, nor inherit, the first one's configuration.
    enforcing = await startTestServer({ ENFORCE_PROFILES: `Patient=${US_CORE_PATIENT}`, PROFILES_DIR: dir });
    plain = await startTestServer();
  });
  afterAll(async () => {
    await Promise.all([enforcing.close(), plain.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('each enforces only its own profiles', async () => {
    expect((await plain.json('POST', 'Patient', { resourceType: 'Patient', active: true })).status).toBe(201);
    expect((await enforcing.json('POST', 'Patient', { resourceType: 'Patient', active: true })).status).toBe(422);
  });

  it('each lists only the profiles of its own folders in its CapabilityStatement', async () => {
    const patientProfiles = async (server: TestServer) =>
      (await server.json('GET', 'metadata')).body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient').supportedProfile;
    expect(await patientProfiles(enforcing)).toEqual(expect.arrayContaining([LISTED, US_CORE_PATIENT]));
    expect(await patientProfiles(plain)).toContain(US_CORE_PATIENT);
    expect(await patientProfiles(plain)).not.toContain(LISTED);
  });
});

it('rejects malformed ENFORCE_PROFILES at start-up', () => {
  expect(() => loadConfig({ ENFORCE_PROFILES: 'Patient' })).toThrow(ConfigError);
  expect(() => loadConfig({ ENFORCE_PROFILES: 'NotAType=http://x.org/p' })).toThrow(/Type=profileUrl/);
});
