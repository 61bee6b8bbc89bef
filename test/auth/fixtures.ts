import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CryptoKey, type JWK, type JWTPayload, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { type AuthConfig, authConfigFromEnv } from '../../src/auth/config';

/** Test keys and tokens, all made by jose at run time: nothing secret is checked in. */
export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function testKey(alg = 'ES384', kid = `${alg}-${Math.random().toString(36).slice(2, 8)}`): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export const nowS = () => Math.floor(Date.now() / 1000);

export function signToken(key: TestKey, claims: JWTPayload, header: { kid?: string; alg?: string; typ?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: header.alg ?? key.alg, kid: header.kid ?? key.kid, ...(header.typ ? { typ: header.typ } : {}) })
    .sign(key.privateKey);
}

/** A JWKS endpoint on loopback whose keys a test can rotate, counting how often it is fetched. */
export interface JwksServer {
  url: string;
  fetches: number;
  keys: JWK[];
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const state = { fetches: 0, keys };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as JwksServer;
}

export const tempDir = () => mkdtempSync(path.join(tmpdir(), 'fhir-auth-'));

export function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

export const BASE_URL = 'http://127.0.0.1:8080/fhir';
export const ISSUER = 'https://idp.example.org/realms/ehr';

/**
 * An external issuer with its keys and its token endpoint. Configured, the endpoint is not read from the issuer's
 * metadata at start-up, which these tests' issuers (on hosts that do not exist) do not publish.
 */
export const externalIssuer = (jwksUri: string, issuer = ISSUER) => ({
  SMART_ISSUER: issuer,
  SMART_JWKS_URI: jwksUri,
  SMART_TOKEN_ENDPOINT: `${issuer}/protocol/openid-connect/token`,
});

/** A config whose built-in authorization server signs with a fresh ES384 key (given as SMART_SIGNING_KEY_FILE). */
export async function issuingConfig(env: Record<string, string> = {}): Promise<AuthConfig> {
  const { privateKey } = await generateKeyPair('ES384', { extractable: true });
  const dir = tempDir();
  const file = writeJson(dir, 'signing-key.json', { ...(await exportJWK(privateKey)), alg: 'ES384' });
  return configFor({ SMART_SIGNING_KEY_FILE: file, ...env }, dir);
}

export function configFor(env: Record<string, string>, dataDir = tempDir()): Promise<AuthConfig> {
  return authConfigFromEnv(env, { baseUrl: BASE_URL, dataDir });
}
