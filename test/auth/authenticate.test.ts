import { utimesSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type CryptoKey, SignJWT, UnsecuredJWT, exportSPKI, importJWK } from 'jose';
import { authenticate } from '../../src/auth/authenticate';
import type { AuthConfig } from '../../src/auth/config';
import { OperationOutcomeError } from '../../src/errors/operation-outcome-error';
import {
  BASE_URL,
  ISSUER,
  type JwksServer,
  type TestKey,
  configFor,
  externalIssuer,
  issuingConfig,
  nowS,
  signToken,
  startJwksServer,
  tempDir,
  testKey,
  writeJson,
} from './fixtures';

async function rejection(p: Promise<unknown>): Promise<OperationOutcomeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err;
    throw err;
  }
  throw new Error('expected the promise to be rejected');
}

const validClaims = () => ({
  iss: ISSUER,
  aud: BASE_URL,
  sub: 'user-1',
  exp: nowS() + 300,
  iat: nowS(),
  scope: 'patient/*.rs',
  patient: 'p1',
  client_id: 'growth-chart',
  jti: 'token-1',
});

describe('bearer token validation against an external issuer (remote JWKS)', () => {
  let key: TestKey;
  let jwks: JwksServer;
  let cfg: AuthConfig;

  beforeEach(async () => {
    key = await testKey('ES384');
    jwks = await startJwksServer([key.publicJwk]);
    cfg = await configFor(externalIssuer(jwks.url));
  });
  afterEach(() => jwks.close());

  const expect401 = async (token: string, pattern: RegExp) => {
    const err = await rejection(authenticate(`Bearer ${token}`, cfg));
    expect(err.category).toBe('unauthenticated');
    expect(err.facts.challenge).toMatch(/^Bearer realm=".*", error="invalid_token"/);
    expect(err.message).toMatch(pattern);
  };

  it('accepts a valid token and returns its policy', async () => {
    const policy = await authenticate(`Bearer ${await signToken(key, validClaims())}`, cfg);
    expect(policy.patientIds).toEqual(['p1']);
    expect(policy.allows('Observation', 'search')).toBe(true);
    expect(policy.allows('Observation', 'create')).toBe(false);
    expect(policy.clientId).toBe('growth-chart');
    expect(policy.tokenId).toBe('token-1');
  });

  it('accepts the scheme name in any case', async () => {
    await expect(authenticate(`bearer ${await signToken(key, validClaims())}`, cfg)).resolves.toBeDefined();
  });

  it('returns 401 with a bare Bearer challenge when no token is sent', async () => {
    const err = await rejection(authenticate(undefined, cfg));
    expect(err.category).toBe('unauthenticated');
    expect(err.facts.challenge).toBe(`Bearer realm="${BASE_URL}"`);
    expect(err.outcome.issue[0].code).toBe('login');
  });

  it('returns 401 for another authorization scheme', async () => {
    const err = await rejection(authenticate('Basic dXNlcjpwYXNz', cfg));
    expect(err.category).toBe('unauthenticated');
  });

  it('returns 401 for a token that is not a JWT', async () => {
    await expect401('not-a-jwt', /not a signed JWT/);
  });

  it('returns 401 for an expired token', async () => {
    await expect401(await signToken(key, { ...validClaims(), exp: nowS() - 120 }), /expired/);
  });

  it('tolerates a small clock skew on exp', async () => {
    await expect(authenticate(`Bearer ${await signToken(key, { ...validClaims(), exp: nowS() - 5 })}`, cfg)).resolves.toBeDefined();
  });

  it('returns 401 for a token not valid yet (nbf in the future)', async () => {
    await expect401(await signToken(key, { ...validClaims(), nbf: nowS() + 600 }), /not valid yet/);
  });

  it('returns 401 for a token without exp', async () => {
    const { exp: _exp, ...claims } = validClaims();
    await expect401(await signToken(key, claims), /exp/);
  });

  it('returns 401 for a token from another issuer', async () => {
    await expect401(await signToken(key, { ...validClaims(), iss: 'https://evil.example' }), /issuer .* not trusted/);
  });

  it('returns 401 for a token meant for another audience', async () => {
    await expect401(await signToken(key, { ...validClaims(), aud: 'https://other-server/fhir' }), /aud/);
  });

  it('refuses alg none', async () => {
    const unsecured = new UnsecuredJWT(validClaims()).encode();
    await expect401(unsecured, /algorithm/);
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    // The classic confusion attack: the published key, as PEM or as JWK text, used as an HMAC secret.
    const pem = await exportSPKI((await importJWK(key.publicJwk, key.alg)) as CryptoKey);
    for (const secret of [pem, JSON.stringify(key.publicJwk)]) {
      const forged = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode(secret));
      await expect401(forged, /algorithm/);
    }
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const token = await signToken(key, validClaims());
    const [h, , s] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ ...validClaims(), scope: 'system/*.cruds' })).toString('base64url');
    await expect401(`${h}.${widened}.${s}`, /signature/);
  });

  it('refuses a token signed by another key that claims the published kid', async () => {
    const attacker = await testKey('ES384', key.kid);
    await expect401(await signToken(attacker, validClaims()), /signature/);
  });

  it('fetches the JWKS again when a token names an unknown kid (key rotation)', async () => {
    await authenticate(`Bearer ${await signToken(key, validClaims())}`, cfg);
    expect(jwks.fetches).toBe(1);
    const rotated = await testKey('RS384');
    jwks.keys = [rotated.publicJwk];
    // Past the refetch cool-down, which stops unknown kids from making us hammer the issuer.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'queueMicrotask'] });
    try {
      jest.setSystemTime(Date.now() + 31_000);
      const policy = await authenticate(`Bearer ${await signToken(rotated, validClaims())}`, cfg);
      expect(policy.scopes).toContain('patient/*.rs');
      expect(jwks.fetches).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stops accepting a token once it expires, even after it was accepted before', async () => {
    const token = await signToken(key, { ...validClaims(), exp: nowS() + 2 });
    await authenticate(`Bearer ${token}`, cfg);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'queueMicrotask'] });
    try {
      jest.setSystemTime(Date.now() + (2 + cfg.clockToleranceSeconds + 1) * 1000);
      const err = await rejection(authenticate(`Bearer ${token}`, cfg));
      expect(err.category).toBe('unauthenticated');
      expect(err.message).toMatch(/expired/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stops accepting a token, even one accepted before, once the JWKS without its key is past its cache lifetime', async () => {
    const cached = await configFor({ ...externalIssuer(jwks.url), SMART_JWKS_CACHE_SECONDS: '60' });
    const token = await signToken(key, { ...validClaims(), exp: nowS() + 3600 });
    await authenticate(`Bearer ${token}`, cached);
    const successor = await testKey('ES384');
    jwks.keys = [successor.publicJwk];
    // Within the cache lifetime the issuer is not asked again: the key still verifies.
    await expect(authenticate(`Bearer ${token}`, cached)).resolves.toBeDefined();
    expect(jwks.fetches).toBe(1);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'queueMicrotask'] });
    try {
      jest.setSystemTime(Date.now() + 61_000);
      const err = await rejection(authenticate(`Bearer ${token}`, cached));
      expect(err.category).toBe('unauthenticated');
      expect(err.message).toMatch(/key the issuer does not publish/);
      expect(jwks.fetches).toBeGreaterThanOrEqual(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('returns 401 for an unknown kid the refreshed JWKS does not have either', async () => {
    const stranger = await testKey('ES384');
    await expect401(await signToken(stranger, validClaims()), /key the issuer does not publish/);
  });

  it('returns 503, not 401, when the issuer keys cannot be fetched', async () => {
    await jwks.close();
    const down = await configFor(externalIssuer(jwks.url));
    const err = await rejection(authenticate(`Bearer ${await signToken(key, validClaims())}`, down));
    expect(err.category).toBe('unavailable');
    jwks = await startJwksServer([]); // for afterEach
  });
});

describe('bearer token validation against a file: JWKS', () => {
  it('re-reads the file when a token names a kid it does not have', async () => {
    const dir = tempDir();
    const first = await testKey('ES384');
    const file = writeJson(dir, 'jwks.json', { keys: [first.publicJwk] });
    const cfg = await configFor(externalIssuer(pathToFileURL(file).toString()));
    await expect(authenticate(`Bearer ${await signToken(first, validClaims())}`, cfg)).resolves.toBeDefined();

    const second = await testKey('ES384');
    writeFileSync(file, JSON.stringify({ keys: [first.publicJwk, second.publicJwk] }));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await expect(authenticate(`Bearer ${await signToken(second, validClaims())}`, cfg)).resolves.toBeDefined();
  });
});

describe('tokens issued by this server', () => {
  it('accepts its own at+jwt tokens and refuses its key used for anything else', async () => {
    const cfg = await issuingConfig();
    const key = cfg.signingKey!;
    const claims = { ...validClaims(), iss: cfg.ownIssuer, scope: 'system/*.rs' };
    const own = { alg: key.alg, kid: key.kid, privateKey: key.privateKey, publicJwk: {} };
    const policy = await authenticate(`Bearer ${await signToken(own, claims, { typ: 'at+jwt' })}`, cfg);
    expect(policy.allows('Patient', 'read')).toBe(true);
    const err = await rejection(authenticate(`Bearer ${await signToken(own, claims)}`, cfg));
    expect(err.category).toBe('unauthenticated');
  });

  it('does not accept a token naming this server as issuer but signed by another key', async () => {
    const cfg = await issuingConfig();
    const attacker = await testKey('ES384', cfg.signingKey!.kid);
    const token = await signToken(attacker, { ...validClaims(), iss: cfg.ownIssuer }, { typ: 'at+jwt' });
    expect((await rejection(authenticate(`Bearer ${token}`, cfg))).category).toBe('unauthenticated');
  });

  it('trusts no token in its own name when it issues none', async () => {
    const cfg = await configFor(externalIssuer('https://idp.example.org/certs'));
    expect(cfg.signingKey).toBeUndefined();
    const token = await signToken(await testKey('ES384'), { ...validClaims(), iss: cfg.ownIssuer }, { typ: 'at+jwt' });
    const err = await rejection(authenticate(`Bearer ${token}`, cfg));
    expect(err.message).toMatch(/not trusted/);
  });
});

describe('throttling of failed bearer tokens per address', () => {
  it('answers 429 with Retry-After, without verifying, once an address has failed its limit; other addresses go on', async () => {
    const key = await testKey('ES384');
    const file = writeJson(tempDir(), 'jwks.json', { keys: [key.publicJwk] });
    const cfg = await configFor({
      ...externalIssuer(pathToFileURL(file).toString()),
      AUTH_THROTTLE_ADDRESS_FAILURES: '3',
    });
    const valid = `Bearer ${await signToken(key, validClaims())}`;
    const attacker = '203.0.113.7';
    for (let i = 0; i < 3; i++) expect((await rejection(authenticate('Bearer not-a-jwt', cfg, attacker))).category).toBe('unauthenticated');
    for (const header of ['Bearer not-a-jwt', valid]) {
      const err = await rejection(authenticate(header, cfg, attacker));
      expect(err.category).toBe('too-many-requests');
      expect(err.outcome.issue[0].code).toBe('throttled');
      expect(err.facts.retryAfterSeconds).toBeGreaterThan(0);
    }
    await expect(authenticate(valid, cfg, '198.51.100.20')).resolves.toBeDefined();
    // Without a token at all, a client only learns that one is needed: no failure counted.
    for (let i = 0; i < 5; i++) expect((await rejection(authenticate(undefined, cfg, '198.51.100.21'))).category).toBe('unauthenticated');
    await expect(authenticate(valid, cfg, '198.51.100.21')).resolves.toBeDefined();
  });
});
