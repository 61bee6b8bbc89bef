import { type CryptoKey, SignJWT, UnsecuredJWT, exportSPKI, importJWK } from 'jose';
import { nowS, signToken, testKey } from '../auth/fixtures';
import { A, ISSUER, type JsonResponse, type SecureServer, expectOutcome, put, startSecureServer } from './support';

let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await put(server.system, { resourceType: 'Patient', id: A });
});
afterAll(() => server.close());

const claims = () => ({ scope: 'system/*.read', patient: A });

/** 401, a Bearer challenge naming the error (RFC 6750 §3), an OperationOutcome, and nothing of the resource. */
function expectUnauthorized(res: JsonResponse, error?: 'invalid_token'): void {
  expectOutcome(res, 401, 'login');
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer realm="[^"]+"/);
  if (error) expect(challenge).toContain(`error="${error}"`);
  expect(JSON.stringify(res.body)).not.toContain('"resourceType":"Patient"');
}

const readWith = (token: string | undefined) => server.as(token).json('GET', `Patient/${A}`);

describe('a request without a usable bearer token', () => {
  it('is answered 200 with a valid token (the baseline the refusals below differ from)', async () => {
    const res = await readWith(await server.sign(claims()));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(A);
  });

  it('returns 401 with a bare Bearer challenge when no Authorization header is sent', async () => {
    const res = await readWith(undefined);
    expectUnauthorized(res);
    expect(res.headers.get('www-authenticate')).not.toContain('error=');
  });

  it('returns 401 invalid_token for another authorization scheme', async () => {
    const res = await server.json('GET', `Patient/${A}`, undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    expectUnauthorized(res, 'invalid_token');
  });

  it('returns 401 invalid_token for a bearer value that is not a JWT', async () => {
    expectUnauthorized(await readWith('not-a-jwt'), 'invalid_token');
  });

  it('returns 401 invalid_token for an expired token', async () => {
    const res = await readWith(await server.sign({ ...claims(), exp: nowS() - 600, iat: nowS() - 900 }));
    expectUnauthorized(res, 'invalid_token');
    expect(res.body.issue[0].diagnostics).toMatch(/expired/);
  });

  it('returns 401 invalid_token for a token that is not valid yet (nbf in the future)', async () => {
    const res = await readWith(await server.sign({ ...claims(), nbf: nowS() + 600 }));
    expectUnauthorized(res, 'invalid_token');
    expect(res.body.issue[0].diagnostics).toMatch(/not valid yet/);
  });

  it('returns 401 invalid_token for a token without exp', async () => {
    const token = await signToken(server.issuerKey, { iss: ISSUER, aud: server.baseUrl, ...claims() });
    expectUnauthorized(await readWith(token), 'invalid_token');
  });

  it('returns 401 invalid_token for a token of an issuer the server does not trust, even signed by the trusted key', async () => {
    const res = await readWith(await server.sign({ ...claims(), iss: 'https://evil.example/' }));
    expectUnauthorized(res, 'invalid_token');
    expect(res.body.issue[0].diagnostics).toMatch(/not trusted/);
  });

  it('returns 401 invalid_token for a token meant for another audience', async () => {
    const res = await readWith(await server.sign({ ...claims(), aud: 'https://other.example/fhir' }));
    expectUnauthorized(res, 'invalid_token');
    expect(res.body.issue[0].diagnostics).toMatch(/aud/);
  });

  it('returns 401 invalid_token for an unsigned token (alg none)', async () => {
    const unsigned = new UnsecuredJWT({ iss: ISSUER, aud: server.baseUrl, exp: nowS() + 300, ...claims() }).encode();
    expectUnauthorized(await readWith(unsigned), 'invalid_token');
  });

  it('returns 401 invalid_token for an HS256 token forged with the published public key as the secret', async () => {
    const pem = await exportSPKI((await importJWK(server.issuerKey.publicJwk, server.issuerKey.alg)) as CryptoKey);
    for (const secret of [pem, JSON.stringify(server.issuerKey.publicJwk)]) {
      const forged = await new SignJWT({ iss: ISSUER, aud: server.baseUrl, exp: nowS() + 300, ...claims() })
        .setProtectedHeader({ alg: 'HS256', kid: server.issuerKey.kid })
        .sign(new TextEncoder().encode(secret));
      expectUnauthorized(await readWith(forged), 'invalid_token');
    }
  });

  it('returns 401 invalid_token when the payload was widened after signing (bad signature)', async () => {
    const token = await server.sign({ scope: 'patient/*.read', patient: A });
    const [h, , s] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ ...claims(), scope: 'system/*.*', iss: ISSUER, aud: server.baseUrl, exp: nowS() + 300 })).toString('base64url');
    const res = await readWith(`${h}.${widened}.${s}`);
    expectUnauthorized(res, 'invalid_token');
    expect(res.body.issue[0].diagnostics).toMatch(/signature/);
  });

  it('returns 401 invalid_token for a token signed by another key claiming the issuer key id', async () => {
    const attacker = await testKey('ES384', server.issuerKey.kid);
    const token = await signToken(attacker, { iss: ISSUER, aud: server.baseUrl, exp: nowS() + 300, ...claims() });
    expectUnauthorized(await readWith(token), 'invalid_token');
  });

  it('returns 401 with a header-safe challenge when the unverified iss holds CR/LF, non-Latin-1 text or a lone surrogate', async () => {
    for (const iss of ['https://evil.example/\r\nSet-Cookie: a=b', 'https://évil.example/€/日本', 'https://evil.example/\ud800x', '"\\'.repeat(1000)]) {
      const res = await readWith(await server.sign({ ...claims(), iss }));
      expectUnauthorized(res, 'invalid_token');
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]{1,200}"$/);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.body.issue[0].diagnostics).toMatch(/not trusted/);
    }
  });

  it('returns 401 invalid_token for a fhirUser that is not a reference to a user resource on this server', async () => {
    const malformed: unknown[] = [
      `patient/${A}`,
      'Patient/',
      'Patient/a b',
      'Patient/..',
      'Patient/...',
      `Patient/${'x'.repeat(65)}`,
      `Patient/${A}/../../Patient/other`,
      `${server.baseUrl}/Patient/${A}/_history/1`,
      `https://other.example/fhir/Patient/${A}`,
      `Observation/${A}`,
      A,
      '',
      42,
      { reference: `Patient/${A}` },
    ];
    for (const fhirUser of malformed) {
      const res = await readWith(await server.sign({ scope: 'user/*.read', fhirUser }));
      expect({ fhirUser, status: res.status }).toEqual({ fhirUser, status: 401 });
      expectUnauthorized(res, 'invalid_token');
      expect(res.body.issue[0].diagnostics).toMatch(/fhirUser/);
    }
  });

  it('accepts a fhirUser given as Type/id or as an absolute URL on this server', async () => {
    for (const fhirUser of [`Patient/${A}`, `${server.baseUrl}/Patient/${A}`, 'Practitioner/dr-1', `${server.baseUrl}/RelatedPerson/rp.1`]) {
      const res = await readWith(await server.sign({ scope: 'user/*.read', fhirUser }));
      expect({ fhirUser, status: res.status }).toEqual({ fhirUser, status: 200 });
    }
  });

  it('refuses writes, searches and bundles without a token just like reads', async () => {
    const anonymous = server.as(undefined);
    expectUnauthorized(await anonymous.json('POST', 'Patient', { resourceType: 'Patient' }));
    expectUnauthorized(await anonymous.json('GET', 'Patient?_id=' + A));
    expectUnauthorized(await anonymous.json('POST', '', { resourceType: 'Bundle', type: 'batch', entry: [] }));
    expectUnauthorized(await anonymous.json('DELETE', `Patient/${A}`));
    expect((await server.system.json('GET', `Patient/${A}`)).status).toBe(200);
  });
});
