import type { AuditEvent } from 'fhir/r4';
import { A, type SecureServer, expectOutcome, put, startSecureServer } from './support';

/**
 * A SMART client reads the CapabilityStatement and the SMART configuration before it has a token, so those two
 * answer without one. Every other FHIR URL still needs a valid token, and the anonymous requests are audited.
 */
let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await put(server.system, { resourceType: 'Patient', id: A });
});
afterAll(() => server.close());

describe('endpoints a SMART client reads before it has a token', () => {
  it('serves the CapabilityStatement without a token', async () => {
    const res = await server.as(undefined).json('GET', 'metadata');
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.rest[0].security.service[0].coding[0].code).toBe('SMART-on-FHIR');
    const head = await server.api('metadata', { method: 'HEAD' });
    expect(head.status).toBe(200);
    const xml = await server.api('metadata?_format=json');
    expect(xml.status).toBe(200);
  });

  it('serves the SMART configuration without a token', async () => {
    const res = await server.api('.well-known/smart-configuration');
    expect(res.status).toBe(200);
    expect(((await res.json()) as Record<string, unknown>).issuer).toBeDefined();
  });

  it('audits an anonymous CapabilityStatement read', async () => {
    expect((await server.as(undefined).json('GET', 'metadata?_summary=true')).status).toBe(200);
    await server.system.json('GET', 'AuditEvent/$verify-chain');
    const res = await server.system.json('GET', 'AuditEvent?_count=1000');
    const events = (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource) as AuditEvent[];
    const anonymous = events.filter((e) => e.subtype?.some((s) => s.code === 'capabilities') && e.outcome === '0');
    expect(anonymous.length).toBeGreaterThan(0);
  });
});

describe('everything else still needs a token', () => {
  it('answers 401 without a token to reads, searches, writes and the other base-level requests', async () => {
    const anonymous = server.as(undefined);
    for (const [method, path] of [
      ['GET', `Patient/${A}`],
      ['GET', 'Patient'],
      ['GET', ''],
      ['GET', '_history'],
      ['GET', 'metadata/extra'],
      ['GET', 'Patient/metadata'],
      ['POST', 'metadata'],
      ['DELETE', `Patient/${A}`],
    ]) {
      const res = await anonymous.json(method, path, method === 'POST' ? { resourceType: 'Parameters' } : undefined);
      expectOutcome(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('answers 401 to a bad token on other URLs, and serves metadata whatever the Authorization header says', async () => {
    const bad = server.as('not-a-jwt');
    expectOutcome(await bad.json('GET', `Patient/${A}`), 401);
    expect((await bad.json('GET', 'metadata')).status).toBe(200);
  });
});
