import { randomUUID } from 'node:crypto';
import { type TestKey, nowS, signToken, tempDir, testKey, writeJson } from '../auth/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A server whose built-in token endpoint knows one Backend Services client, `CLIENT_ID`, allowed `system/*.rs`. */
export interface BackendServer extends TestServer {
  tokenUrl: string;
  clientKey: TestKey;
  /** A fresh client assertion of the registered client; `claims` override iss, sub, aud, exp and jti. */
  assertion(claims?: Record<string, unknown>): Promise<string>;
  /** POSTs `form` (sent as given when a string) to the token endpoint. */
  requestToken(form: string | Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, any> }>;
  /** The form of a valid client_credentials request with a fresh assertion. */
  validForm(extra?: Record<string, string>): Promise<Record<string, string>>;
}

export const CLIENT_ID = 'backend-test';

export async function startBackendServer(env: Record<string, string> = {}): Promise<BackendServer> {
  const clientKey = await testKey('ES384');
  const clients = writeJson(tempDir(), 'clients.json', {
    clients: [{ client_id: CLIENT_ID, jwks: { keys: [clientKey.publicJwk] }, scope: 'system/*.rs' }],
  });
  const server = await startTestServer({ SMART_CLIENTS_FILE: clients, ...env });
  const tokenUrl = `${server.baseUrl}/auth/token`;
  const assertion: BackendServer['assertion'] = (claims = {}) =>
    signToken(clientKey, { iss: CLIENT_ID, sub: CLIENT_ID, aud: tokenUrl, exp: nowS() + 240, jti: randomUUID(), ...claims });
  const requestToken: BackendServer['requestToken'] = async (form, headers = {}) => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };
  const validForm: BackendServer['validForm'] = async (extra = {}) => ({
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(),
    scope: 'system/*.rs',
    ...extra,
  });
  return Object.assign(server, { tokenUrl, clientKey, assertion, requestToken, validForm });
}
