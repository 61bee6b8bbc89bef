import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * README's "Worked example: a SMART Backend Services client", run as written: its shell blocks (marked
 * `<!-- smart-example:... -->`) in a fresh folder, against a server started with the clients file they wrote. Only
 * the documented base URL is replaced by the test server's.
 */
const ROOT = path.join(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const DOCUMENTED_BASE = 'http://127.0.0.1:8080/fhir';
const run = promisify(execFile);

function block(marker: string, lang = 'sh'): string {
  const m = new RegExp(`<!-- smart-example:${marker} -->\\n\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (!m) throw new Error(`README has no ${lang} block after <!-- smart-example:${marker} -->`);
  return m[1];
}

/** The JSON block that follows `after` in README (the documented shapes of the clients file and the claims). */
function jsonAfter(after: string): Record<string, any> {
  const m = /```json\n([\s\S]*?)```/.exec(README.slice(README.indexOf(after)));
  return JSON.parse((m as RegExpExecArray)[1]);
}

const bash = (script: string, cwd: string) => run('bash', ['-euo', 'pipefail', '-c', script], { cwd, timeout: 30_000 });

let dir: string;
let server: TestServer;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'smart-example-'));
  symlinkSync(path.join(ROOT, 'scripts'), path.join(dir, 'scripts'));
  await bash(block('setup'), dir);
  server = await startTestServer({ SMART_CLIENTS_FILE: path.join(dir, 'config', 'clients.json') });
}, 60_000);
afterAll(() => server?.close());

describe('README worked example of a SMART Backend Services client', () => {
  it('writes a clients file shaped as documented, and a private key only its owner can read', () => {
    const written = JSON.parse(readFileSync(path.join(dir, 'config', 'clients.json'), 'utf8'));
    const documented = jsonAfter('<!-- smart-example:setup -->');
    const shape = (doc: Record<string, any>) => ({
      client: Object.keys(doc.clients[0]).sort(),
      key: Object.keys(doc.clients[0].jwks.keys[0]).sort(),
      scope: doc.clients[0].scope,
    });
    expect(shape(written)).toEqual(shape(documented));
    const { mode } = statSync(path.join(dir, 'analytics.key.json'));
    expect(mode & 0o077).toBe(0);
  });

  it('signs an assertion with the documented header and claims', async () => {
    const endpoint = `${server.baseUrl}/auth/token`;
    const { stdout } = await bash(`node scripts/smart-backend-client.mjs assertion ${endpoint} analytics analytics.key.json`, dir);
    const documented = jsonAfter('3. Get a token.');
    const claims = decodeJwt(stdout.trim());
    expect(Object.keys(claims).sort()).toEqual(Object.keys(documented).sort());
    expect(claims).toMatchObject({ iss: 'analytics', sub: 'analytics', aud: endpoint });
    expect(decodeProtectedHeader(stdout.trim())).toMatchObject({ alg: 'ES384', typ: 'JWT' });
  });

  it('gets a token with curl and with the script, and searches with it', async () => {
    const steps = block('use');
    expect(steps).toContain(`FHIR=${DOCUMENTED_BASE}\n`);
    const { stdout } = await bash(steps.replace(`FHIR=${DOCUMENTED_BASE}\n`, `FHIR=${server.baseUrl}\n`), dir);
    const [tokenResponse, search] = stdout.split(/(?<=\})(?=\{"resourceType")/);
    expect(JSON.parse(tokenResponse)).toMatchObject({ token_type: 'bearer', expires_in: 300, scope: 'system/*.rs' });
    expect(JSON.parse(search)).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0 });
  });
});
