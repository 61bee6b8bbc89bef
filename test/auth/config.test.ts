import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { isAuthConfigured } from '../../src/auth/config';
import { GENERATED_KEY_FILE } from '../../src/auth/signing-key';
import { BASE_URL, ISSUER, configFor, externalIssuer, tempDir, testKey, writeJson } from './fixtures';

describe('authorization configuration from the environment', () => {
  it('is not configured without an issuer or clients (protected mode), and writes no key', async () => {
    const dataDir = tempDir();
    const cfg = await configFor({}, dataDir);
    expect(isAuthConfigured(cfg)).toBe(false);
    expect(cfg.audience).toBe(BASE_URL);
    expect(cfg.signingKey).toBeUndefined();
    expect(existsSync(path.join(dataDir, GENERATED_KEY_FILE))).toBe(false);
  });

  it('is configured by an external issuer with its JWKS', async () => {
    const cfg = await configFor(externalIssuer('https://idp.example.org/certs'));
    expect(isAuthConfigured(cfg)).toBe(true);
    expect(cfg.issuer).toBe(ISSUER);
  });

  it('generates the signing key on first start when clients are registered, owner-readable, and reuses it', async () => {
    const key = await testKey('ES384');
    const env = {
      SMART_CLIENTS_FILE: writeJson(tempDir(), 'clients.json', [{ client_id: 'a', jwks: { keys: [key.publicJwk] }, scope: 'system/*.rs' }]),
    };
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const first = await configFor(env, dataDir);
    const file = path.join(dataDir, GENERATED_KEY_FILE);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0);
    const second = await configFor(env, dataDir);
    expect(second.signingKey?.kid).toBe(first.signingKey?.kid);
    expect(first.signingKey?.publicJwk).not.toHaveProperty('d');
  });

  it('uses a configured RS384 signing key', async () => {
    const { privateKey } = await generateKeyPair('RS384', { extractable: true });
    const file = writeJson(tempDir(), 'key.json', { ...(await exportJWK(privateKey)), alg: 'RS384', kid: 'k1' });
    const cfg = await configFor({ SMART_SIGNING_KEY_FILE: file });
    expect(cfg.signingKey).toMatchObject({ alg: 'RS384', kid: 'k1' });
  });

  it.each([
    [{ SMART_ISSUER: ISSUER }, /SMART_JWKS_URI/],
    [{ SMART_JWKS_URI: 'https://idp/certs' }, /SMART_ISSUER/],
    [{ SMART_ISSUER: ISSUER, SMART_JWKS_URI: 'http://idp.example.org/certs' }, /https/],
    [{ SMART_ISSUER: ISSUER, SMART_JWKS_URI: 'ftp://idp/certs' }, /https/],
    [{ SMART_ISSUER: 'not a uri', SMART_JWKS_URI: 'https://idp/certs' }, /SMART_ISSUER/],
    [{ SMART_ISSUER: BASE_URL, SMART_JWKS_URI: 'https://idp/certs' }, /differ/],
    [{ SMART_AUDIENCE: 'fhir' }, /SMART_AUDIENCE/],
    [{ SMART_TOKEN_LIFETIME: '3600' }, /SMART_TOKEN_LIFETIME/],
    [{ SMART_CLOCK_SKEW: '-1' }, /SMART_CLOCK_SKEW/],
    [{ SMART_JWKS_CACHE_SECONDS: '5' }, /SMART_JWKS_CACHE_SECONDS/],
    [{ AUTH_THROTTLE_WINDOW: '0' }, /AUTH_THROTTLE_WINDOW/],
    [{ AUTH_THROTTLE_ADDRESS_FAILURES: '-1' }, /AUTH_THROTTLE_ADDRESS_FAILURES/],
    [{ AUTH_THROTTLE_CLIENT_FAILURES: 'ten' }, /AUTH_THROTTLE_CLIENT_FAILURES/],
    [{ SMART_JWKS_CACHE_SECONDS: '86400' }, /SMART_JWKS_CACHE_SECONDS/],
    [{ SMART_CLIENTS_FILE: '/nonexistent/clients.json' }, /SMART_CLIENTS_FILE/],
  ])('refuses %j', async (env, message) => {
    await expect(configFor(env as Record<string, string>)).rejects.toThrow(message);
  });

  it('accepts http: JWKS only on a loopback host', async () => {
    const cfg = await configFor(externalIssuer('http://127.0.0.1:8081/certs'));
    expect(cfg.jwksUri).toBe('http://127.0.0.1:8081/certs');
  });

  it('refuses a signing key file holding a public key', async () => {
    const key = await testKey('ES384');
    const file = writeJson(tempDir(), 'key.json', key.publicJwk);
    await expect(configFor({ SMART_SIGNING_KEY_FILE: file })).rejects.toThrow(/public key/);
  });

  describe('clients file', () => {
    const clientsEnv = (clients: unknown) => ({ SMART_CLIENTS_FILE: writeJson(tempDir(), 'clients.json', clients) });

    it('reads registered clients', async () => {
      const key = await testKey('ES384');
      const cfg = await configFor(clientsEnv({ clients: [{ client_id: 'a', jwks: { keys: [key.publicJwk] }, scope: 'system/*.rs' }] }));
      expect(isAuthConfigured(cfg)).toBe(true);
      expect(cfg.clients.get('a')?.allowedScopes.map((g) => g.raw)).toEqual(['system/*.rs']);
    });

    it('refuses a client registered with a private key', async () => {
      const { privateKey } = await generateKeyPair('ES384', { extractable: true });
      const env = clientsEnv({ clients: [{ client_id: 'a', jwks: { keys: [await exportJWK(privateKey)] }, scope: 'system/*.rs' }] });
      await expect(configFor(env)).rejects.toThrow(/private or symmetric/);
    });

    it.each([
      [{ clients: [{ client_id: 'a', jwks_uri: 'https://a/jwks', scope: 'patient/*.rs' }] }, /system\//],
      [{ clients: [{ client_id: 'a', jwks_uri: 'https://a/jwks' }] }, /scope/],
      [{ clients: [{ client_id: 'a', scope: 'system/*.rs' }] }, /jwks/],
      [{ clients: [{ client_id: 'a', jwks_uri: 'http://a.example/jwks', scope: 'system/*.rs' }] }, /https/],
      [
        {
          clients: [
            { client_id: 'a', jwks_uri: 'https://a/j', scope: 'system/*.rs' },
            { client_id: 'a', jwks_uri: 'https://a/j', scope: 'system/*.rs' },
          ],
        },
        /twice/,
      ],
      [{ nope: true }, /clients/],
    ])('refuses %j', async (doc, message) => {
      await expect(configFor(clientsEnv(doc))).rejects.toThrow(message);
    });
  });
});
