import { capabilitySecurity, smartConfiguration } from '../../src/auth/discovery';
import { BASE_URL, ISSUER, configFor, externalIssuer, tempDir, testKey, writeJson } from './fixtures';

async function clientsEnv() {
  const key = await testKey('ES384');
  return {
    SMART_CLIENTS_FILE: writeJson(tempDir(), 'clients.json', {
      clients: [{ client_id: 'bulk', jwks: { keys: [key.publicJwk] }, scope: 'system/*.rs' }],
    }),
  };
}

describe('SMART discovery', () => {
  it('describes the Backend Services token endpoint when clients are registered', async () => {
    const cfg = await configFor(await clientsEnv());
    const doc = smartConfiguration(cfg, BASE_URL);
    expect(doc).toMatchObject({
      issuer: BASE_URL,
      token_endpoint: `${BASE_URL}/auth/token`,
      jwks_uri: `${BASE_URL}/auth/jwks`,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      grant_types_supported: ['client_credentials'],
    });
    expect(doc.capabilities).toEqual(expect.arrayContaining(['permission-v1', 'permission-v2', 'client-confidential-asymmetric']));
    expect(doc.scopes_supported).toContain('system/*.rs');
  });

  it('advertises the system/ wildcards some client is granted in full, and each client allowance', async () => {
    const key = await testKey('ES384');
    const clients = [
      { client_id: 'reader', jwks: { keys: [key.publicJwk] }, scope: 'system/*.rs' },
      { client_id: 'reporting', jwks: { keys: [key.publicJwk] }, scope: ['system/Patient.rs', 'system/Condition.c'] },
    ];
    const cfg = await configFor({ SMART_CLIENTS_FILE: writeJson(tempDir(), 'clients.json', { clients }) });
    expect(smartConfiguration(cfg, BASE_URL).scopes_supported).toEqual(['system/*.rs', 'system/*.read', 'system/Patient.rs', 'system/Condition.c']);
  });

  it('names the external issuer and patient/user permissions when one is configured', async () => {
    const cfg = await configFor(externalIssuer('https://idp.example.org/certs'));
    const doc = smartConfiguration(cfg, BASE_URL);
    expect(doc).toMatchObject({ issuer: ISSUER, jwks_uri: 'https://idp.example.org/certs', token_endpoint: `${ISSUER}/protocol/openid-connect/token` });
    expect(doc).not.toHaveProperty('authorization_endpoint');
    expect(doc.capabilities).toEqual(expect.arrayContaining(['permission-patient', 'permission-user']));
  });

  it('declares SMART-on-FHIR in CapabilityStatement.rest.security with the token URI', async () => {
    const security = capabilitySecurity(await configFor(await clientsEnv()));
    expect(security.service?.[0].coding?.[0]).toEqual({
      system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
      code: 'SMART-on-FHIR',
    });
    expect(security.extension?.[0].extension).toEqual([{ url: 'token', valueUri: `${BASE_URL}/auth/token` }]);
  });

  it('states protected mode when nothing is configured', async () => {
    const security = capabilitySecurity(await configFor({}));
    expect(security.service).toBeUndefined();
    expect(security.description).toMatch(/protected mode/);
  });
});
