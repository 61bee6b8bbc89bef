import { randomUUID } from 'node:crypto';
import type { AuditEvent } from 'fhir/r4';
import { AuditTrail } from '../../src/audit/audit-trail';
import { FAILURE_COUNT_URL } from '../../src/audit/failed-logins';
import { authenticate } from '../../src/auth/authenticate';
import type { AuthConfig } from '../../src/auth/config';
import { JWT_BEARER_ASSERTION, handleTokenRequest } from '../../src/auth/token-endpoint';
import { OperationOutcomeError } from '../../src/errors/operation-outcome-error';
import { auditInputFor, auditInputForToken } from '../../src/http/audit-input';
import { errorResponse } from '../../src/http/errors';
import type { StoredDocument } from '../../src/store/stored-document';
import { type TestDatabase, openTestDatabase } from '../audit/database';
import { configFor, externalIssuer, nowS, signToken, tempDir, testKey, writeJson } from '../auth/fixtures';

/**
 * Once the throttle refuses an address, every further request is a 429 that costs the attacker nothing: the trail
 * must count those as failed logins too, or the flood of one event per request is back. HTTP tests all come from
 * loopback, which the throttle exempts, so these run authenticate and the token endpoint with a remote address
 * and hand their answers to the trail as the HTTP adapter does. The attacker rotates through its IPv6 /64.
 */
const N = 40;
const LIMIT = 3;
const attacker = (i: number) => `2001:db8:7:9::${(i + 1).toString(16)}`;
const countOf = (e: AuditEvent) => e.extension?.find((x) => x.url === FAILURE_COUNT_URL)?.valueInteger ?? 0;

let t: TestDatabase;
beforeAll(async () => (t = await openTestDatabase()));
afterAll(() => t.close());

/** Records every input through a fresh trail, closes it, and returns the events it stored. */
async function stored(record: (trail: AuditTrail) => Promise<void>): Promise<AuditEvent[]> {
  await t.db.collection('AuditEvent').deleteMany({});
  const trail = new AuditTrail(t.db, { sourceName: 'test', baseUrl: 'http://127.0.0.1/fhir', onError: () => undefined });
  await record(trail);
  await trail.close();
  const docs = await t.db.collection<StoredDocument>('AuditEvent').find().sort({ _id: 1 }).toArray();
  return docs.map((d) => JSON.parse(d.r) as AuditEvent);
}

const throttledEvents = (events: AuditEvent[]) => events.filter((e) => /HTTP 429\b/.test(e.outcomeDesc ?? ''));

describe('audit of requests refused by the failed-login throttle', () => {
  it(`writes ${N} throttled bearer requests from one /64 as at most 2 events whose counts sum to ${N}`, async () => {
    const cfg = await configFor({ ...externalIssuer('https://idp.example.org/certs', 'https://idp.example.org'), AUTH_THROTTLE_ADDRESS_FAILURES: String(LIMIT) });
    const events = await stored(async (trail) => {
      for (let i = 0; i < LIMIT + N; i++) {
        const remoteAddress = attacker(i);
        const err = await authenticate('Bearer not-a-jwt', cfg, remoteAddress).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(err instanceof OperationOutcomeError)) throw new Error(`expected a refusal, got ${String(err)}`);
        // What the HTTP edge answers with is what the audit trail records.
        const { status } = errorResponse(err);
        expect(status).toBe(i < LIMIT ? 401 : 429);
        const error = err.outcome.issue.map((x) => x.diagnostics).join('; ');
        trail.record(auditInputFor({ status, error, method: 'GET', url: `/fhir/Patient?try=${i}`, remoteAddress }));
      }
    });
    const throttled = throttledEvents(events);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.length).toBeLessThanOrEqual(2);
    expect(throttled.reduce((n, e) => n + countOf(e), 0)).toBe(N);
    expect(events.reduce((n, e) => n + countOf(e), 0)).toBe(LIMIT + N);
    expect(events.length).toBeLessThanOrEqual(4);
  });

  it(`writes ${N} throttled token requests of a registered client from one /64 as at most 2 events whose counts sum to ${N}`, async () => {
    const clientKey = await testKey('ES384');
    const clients = writeJson(tempDir(), 'clients.json', { clients: [{ client_id: 'loader', jwks: { keys: [clientKey.publicJwk] }, scope: 'system/*.rs' }] });
    const cfg: AuthConfig = await configFor({ SMART_CLIENTS_FILE: clients, AUTH_THROTTLE_CLIENT_FAILURES: String(LIMIT), AUTH_THROTTLE_ADDRESS_FAILURES: '0' });
    const forger = await testKey('ES384', clientKey.kid);
    const events = await stored(async (trail) => {
      for (let i = 0; i < LIMIT + N; i++) {
        const remoteAddress = attacker(i);
        const claims = { iss: 'loader', sub: 'loader', aud: cfg.tokenEndpoint, exp: nowS() + 240, jti: randomUUID() };
        const form = new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER_ASSERTION,
          client_assertion: await signToken(forger, claims),
          scope: 'system/*.rs',
        });
        const result = await handleTokenRequest(form, cfg, cfg.tokenEndpoint, remoteAddress);
        expect(result.status).toBe(i < LIMIT ? 401 : 429);
        trail.record(auditInputForToken({ status: result.status, clientId: result.clientId, refusal: String(result.body.error_description) }, remoteAddress));
      }
    });
    const throttled = throttledEvents(events);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.length).toBeLessThanOrEqual(2);
    expect(throttled.reduce((n, e) => n + countOf(e), 0)).toBe(N);
    expect(events.length).toBeLessThanOrEqual(4);
  });
});
