import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestServer } from '../helpers/server';
import { externalIssuer, tempDir, testKey, writeJson } from '../auth/fixtures';
import { ISSUER } from './support';

/**
 * Without SMART configuration the server grants every request full access, so it must only ever answer on a
 * loopback interface (protected mode); on any other address it refuses to start.
 *
 * Refusals run the real entry point (src/main.ts) in a child process: startServer has already bound the port
 * when it rejects and does not release it (see the report of issue 7), which would keep a test process alive.
 */
const ROOT = path.resolve(__dirname, '../..');

/** Runs `node src/main.ts` with `env`; resolves with its exit code and stderr once it exits. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const blank = { SMART_ISSUER: '', SMART_JWKS_URI: '', SMART_CLIENTS_FILE: '', SMART_SIGNING_KEY_FILE: '' };
  const childEnv = { ...process.env, ...blank, PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: tempDir(), ...env };
  return new Promise((resolve) => {
    // swc compiles the sources as they load, reading tsconfig.json (in cwd) for where the engine's sources are.
    execFile(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'src/main.ts')], { cwd: ROOT, env: childEnv, timeout: 60_000 }, (err, _out, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

describe('protected mode', () => {
  it('refuses to start on 0.0.0.0 without authorization configured, saying why', async () => {
    const { code, stderr } = await runMain({ HOST: '0.0.0.0' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/HOST=0\.0\.0\.0 is not a loopback address/);
    expect(stderr).toMatch(/SMART_ISSUER|SMART_CLIENTS_FILE/);
  });

  // An address of one of this machine's own interfaces (binding must succeed for the check to be reached).
  const lanAddress = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  (lanAddress ? it : it.skip)('refuses an interface address of this machine too', async () => {
    const { code, stderr } = await runMain({ HOST: lanAddress as string });
    expect(code).toBe(1);
    expect(stderr).toContain(`HOST=${lanAddress} is not a loopback address`);
  });

  it('does not count a signing key alone as authorization', async () => {
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const key = writeJson(tempDir(), 'key.json', { ...(await exportJWK(privateKey)), alg: 'ES384' });
    const { code, stderr } = await runMain({ HOST: '0.0.0.0', SMART_SIGNING_KEY_FILE: key });
    expect(code).toBe(1);
    expect(stderr).toMatch(/not a loopback address/);
  });

  it('refuses an issuer without its keys rather than starting unprotected', async () => {
    const { code, stderr } = await runMain({ HOST: '0.0.0.0', SMART_ISSUER: ISSUER });
    expect(code).toBe(1);
    expect(stderr).toMatch(/SMART_JWKS_URI/);
  });

  it('starts on 0.0.0.0 once an issuer is configured, and then requires a token', async () => {
    const key = await testKey('ES384');
    const jwks = writeJson(tempDir(), 'jwks.json', { keys: [key.publicJwk] });
    const server = await startTestServer({ HOST: '0.0.0.0', ...externalIssuer(pathToFileURL(jwks).href, ISSUER) });
    try {
      const res = await fetch(`http://127.0.0.1:${new URL(server.url).port}/fhir/Patient`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    } finally {
      await server.close();
    }
  });

  it('serves loopback without a token, and says so in the CapabilityStatement', async () => {
    const server = await startTestServer({ HOST: '127.0.0.1' });
    try {
      expect((await server.json('POST', 'Patient', { resourceType: 'Patient' })).status).toBe(201);
      const metadata = await server.json('GET', 'metadata');
      expect(metadata.body.rest[0].security.description).toMatch(/protected mode/);
      expect(metadata.body.rest[0].security.service).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('answers SMART discovery with 404: there is no authorization server to describe', async () => {
    const server = await startTestServer({ HOST: '127.0.0.1' });
    try {
      const res = await server.json('GET', '.well-known/smart-configuration');
      expect(res.status).toBe(404);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toMatch(/protected mode/);
    } finally {
      await server.close();
    }
  });
});
