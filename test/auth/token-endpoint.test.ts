import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { authenticate } from '../../src/auth/authenticate';
import type { AuthConfig } from '../../src/auth/config';
import { JWT_BEARER_ASSERTION, handleTokenRequest } from '../../src/auth/token-endpoint';
import { type JwksServer, type TestKey, configFor, nowS, signToken, startJwksServer, tempDir, testKey, writeJson } from './fixtures';

describe('SMART Backend Services token endpoint', () => {
  let es: TestKey;
  let rs: TestKey;
  let rsJwks: JwksServer;
  let cfg: AuthConfig;

  beforeAll(async () => {
    es = await testKey('ES384');
    rs = await testKey('RS384');
    rsJwks = await startJwksServer([rs.publicJwk]);
    const clients = writeJson(tempDir(), 'clients.json', {
      clients: [
        { client_id: 'analytics', jwks: { keys: [es.publicJwk] }, scope: 'system/*.rs' },
        { client_id: 'loader', jwks_uri: rsJwks.url, scope: ['system/Patient.cruds', 'system/Observation.c'] },
      ],
    });
    cfg = await configFor({ SMART_CLIENTS_FILE: clients });
  });
  afterAll(() => rsJwks.close());

  const assertion = (key: TestKey, clientId: string, overrides: Record<string, unknown> = {}, alg?: string) =>
    signToken(key, { iss: clientId, sub: clientId, aud: cfg.tokenEndpoint, exp: nowS() + 240, jti: randomUUID(), ...overrides }, alg ? { alg } : {});

  const request = (clientAssertion: string, scope = 'system/*.rs', extra: Record<string, string> = {}) =>
    handleTokenRequest(
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER_ASSERTION,
        client_assertion: clientAssertion,
        scope,
        ...extra,
      }),
      cfg,
      cfg.tokenEndpoint,
    );

  it('issues a short-lived access token for a good ES384 assertion, accepted by the validator', async () => {
    const res = await request(await assertion(es, 'analytics'));
    expect(res.status).toBe(200);
    expect(res.headers['Cache-Control']).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'bearer', scope: 'system/*.rs' });
    expect(res.body.expires_in).toBeLessThanOrEqual(300);
    const token = res.body.access_token as string;
    const claims = decodeJwt(token);
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(300);
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const policy = await authenticate(`Bearer ${token}`, cfg);
    expect(policy.clientId).toBe('analytics');
    expect(policy.allows('Observation', 'search')).toBe(true);
    expect(policy.allows('Observation', 'create')).toBe(false);
    expect(policy.patientIds).toBeUndefined();
  });

  it('verifies an RS384 assertion with keys fetched from the client jwks_uri', async () => {
    const res = await request(await assertion(rs, 'loader'), 'system/Patient.rs');
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('system/Patient.rs');
  });

  it('refuses a replayed assertion (same jti)', async () => {
    const once = await assertion(es, 'analytics');
    expect((await request(once)).status).toBe(200);
    const again = await request(once);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringMatching(/jti/) });
  });

  it('refuses an expired assertion', async () => {
    const res = await request(await assertion(es, 'analytics', { exp: nowS() - 120 }));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.body.error_description).toMatch(/expired/);
  });

  it('refuses an assertion valid for more than five minutes', async () => {
    const res = await request(await assertion(es, 'analytics', { exp: nowS() + 3600 }));
    expect(res.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringMatching(/five minutes/) });
  });

  it('refuses an assertion without jti', async () => {
    const res = await request(await assertion(es, 'analytics', { jti: undefined }));
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses an assertion signed with an algorithm other than RS384/ES384', async () => {
    const rs256 = await testKey('RS256');
    const res = await request(await assertion(rs256, 'analytics'));
    expect(res.status).toBe(401);
    expect(res.body.error_description).toMatch(/RS384 or ES384/);
  });

  it('refuses an assertion signed by a key not registered for the client', async () => {
    const other = await testKey('ES384', es.kid);
    const res = await request(await assertion(other, 'analytics'));
    expect(res.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringMatching(/signature/) });
  });

  it('refuses an assertion meant for another token endpoint', async () => {
    const res = await request(await assertion(es, 'analytics', { aud: 'https://other/token' }));
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses an unregistered client', async () => {
    const res = await request(await assertion(es, 'stranger'));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_client', error_description: 'the client is not registered' });
    expect(res.clientId).toBe('stranger');
  });

  it('refuses an assertion whose sub is not the client', async () => {
    const res = await request(await assertion(es, 'analytics', { sub: 'loader' }));
    expect(res.body.error).toBe('invalid_client');
  });

  it('grants only the allowed part of a wider request (scope escalation)', async () => {
    const res = await request(await assertion(es, 'analytics'), 'system/*.cruds');
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('system/*.rs');
    const policy = await authenticate(`Bearer ${res.body.access_token as string}`, cfg);
    expect(policy.allows('Patient', 'create')).toBe(false);
  });

  it('answers invalid_scope when nothing requested is allowed', async () => {
    const res = await request(await assertion(rs, 'loader'), 'system/Observation.r patient/*.rs');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
  });

  it('answers invalid_scope for a missing or malformed scope', async () => {
    expect((await request(await assertion(es, 'analytics'), '')).body.error).toBe('invalid_scope');
    expect((await request(await assertion(es, 'analytics'), 'system/Patient.zz')).body.error).toBe('invalid_scope');
  });

  it('answers unsupported_grant_type for other grants', async () => {
    const res = await handleTokenRequest(new URLSearchParams({ grant_type: 'password' }), cfg, cfg.tokenEndpoint);
    expect(res).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });

  it('requires the jwt-bearer client assertion type', async () => {
    const res = await request(await assertion(es, 'analytics'), 'system/*.rs', { client_assertion_type: 'secret' });
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses repeated parameters', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    form.append('grant_type', 'client_credentials');
    expect((await handleTokenRequest(form, cfg, cfg.tokenEndpoint)).body.error).toBe('invalid_request');
  });
});
