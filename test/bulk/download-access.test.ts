import { randomUUID } from 'node:crypto';
import { nowS, signToken, tempDir, testKey, type TestKey, writeJson } from '../auth/fixtures';
import { ASSERTION_TYPE } from '../security/backend-client';
import { type SecureServer, seedTwoPatients, startSecureServer } from '../security/support';

/**
 * Who may reach an export's status and files beyond its client_id: a token of another issuer naming the same
 * client_id is another client, and a token whose granular scopes are narrower than the export's cannot download
 * what the export read.
 */
const BUILT_IN_CLIENT = 'backend-test';
let server: SecureServer;
let clientKey: TestKey;

beforeAll(async () => {
  clientKey = await testKey('ES384');
  const clients = writeJson(tempDir(), 'clients.json', {
    clients: [{ client_id: BUILT_IN_CLIENT, jwks: { keys: [clientKey.publicJwk] }, scope: 'system/*.rs' }],
  });
  server = await startSecureServer({ SMART_CLIENTS_FILE: clients, BULK_EXPORT_POLL: '20ms' });
  await seedTwoPatients(server.system);
});
afterAll(() => server.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token of the built-in token endpoint for the registered Backend Services client. */
async function builtInToken(): Promise<string> {
  const tokenUrl = `${server.baseUrl}/auth/token`;
  const assertion = await signToken(clientKey, { iss: BUILT_IN_CLIENT, sub: BUILT_IN_CLIENT, aud: tokenUrl, exp: nowS() + 240, jti: randomUUID() });
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, scope: 'system/*.rs' }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

interface Manifest {
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string }>;
}

/** Kicks off `path` with `token` and waits for the manifest; returns it and the status URL. */
async function exportWith(path: string, token: string): Promise<{ statusUrl: string; manifest: Manifest }> {
  const kick = await server.api(path, { headers: { prefer: 'respond-async', accept: 'application/fhir+json', ...bearer(token) } });
  expect(kick.status).toBe(202);
  await kick.arrayBuffer();
  const statusUrl = kick.headers.get('content-location') as string;
  for (;;) {
    const res = await fetch(statusUrl, { headers: { accept: 'application/json', ...bearer(token) } });
    if (res.status !== 202) {
      expect(res.status).toBe(200);
      return { statusUrl, manifest: (await res.json()) as Manifest };
    }
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function statusOf(url: string, token: string): Promise<number> {
  const res = await fetch(url, { headers: { accept: 'application/fhir+json', ...bearer(token) } });
  await res.arrayBuffer();
  return res.status;
}

const fileOf = (manifest: Manifest, type: string) => manifest.output.find((f) => f.type === type)?.url as string;

describe('the manifest of a server that requires tokens', () => {
  it('says the files need an access token, and a file fetched without one is refused (401)', async () => {
    const { manifest } = await exportWith('$export?_type=Patient', await builtInToken());
    expect(manifest.requiresAccessToken).toBe(true);
    const res = await fetch(fileOf(manifest, 'Patient'));
    await res.arrayBuffer();
    expect(res.status).toBe(401);
  });
});

describe('an export reached by a token of another issuer', () => {
  it("refuses an external issuer's token that claims the client_id of a built-in client (403)", async () => {
    const own = await builtInToken();
    const { statusUrl, manifest } = await exportWith('$export?_type=Patient,Condition', own);
    expect(await statusOf(fileOf(manifest, 'Patient'), own)).toBe(200);

    const impostor = await server.sign({ scope: 'system/*.rs', client_id: BUILT_IN_CLIENT, sub: BUILT_IN_CLIENT });
    expect(await statusOf(statusUrl, impostor)).toBe(403);
    for (const f of manifest.output) expect(await statusOf(f.url, impostor)).toBe(403);
  });
});

describe("downloads under the token's granular scopes", () => {
  it('refuses a file of a type the export read whole to a token restricted to part of that type', async () => {
    const whole = await server.sign({ scope: 'system/*.rs' });
    const { manifest } = await exportWith('$export?_type=Patient,Condition', whole);
    const narrow = await server.sign({ scope: 'system/Condition.rs?category=problem-list-item system/Patient.rs' });
    expect(await statusOf(fileOf(manifest, 'Condition'), narrow)).toBe(403);
    expect(await statusOf(fileOf(manifest, 'Patient'), narrow)).toBe(200);
  });

  it('serves the file to a token with the same restriction as the export', async () => {
    const scope = 'system/Condition.rs?category=problem-list-item system/Patient.rs';
    const { manifest } = await exportWith('$export?_type=Patient,Condition', await server.sign({ scope }));
    const rows = await (await fetch(fileOf(manifest, 'Condition'), { headers: bearer(await server.sign({ scope })) })).text();
    const categories = rows
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).category[0].coding[0].code);
    expect(categories.length).toBeGreaterThan(0);
    expect(new Set(categories)).toEqual(new Set(['problem-list-item']));
  });

  it('refuses a token without a system/ read of the type a system-level export file holds', async () => {
    const { manifest } = await exportWith('$export?_type=Patient,Condition', await server.sign({ scope: 'system/*.rs' }));
    const userScoped = await server.sign({ scope: 'system/Patient.rs user/Condition.rs' });
    expect(await statusOf(fileOf(manifest, 'Condition'), userScoped)).toBe(403);
  });
});
