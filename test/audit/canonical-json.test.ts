import { createHash } from 'node:crypto';
import type { AuditEvent } from 'fhir/r4';
import { canonicalize } from 'json-canonicalize';
import { buildAuditEvent } from '../../src/audit/balp';
import { canonicalJson } from '../../src/audit/canonical-json';
import { chainEvent, recomputeHash, readLink } from '../../src/audit/hash-chain';
import { markServerEvent } from '../../src/audit/origin';

const source = { sourceName: 'fhirstone-test', baseUrl: 'http://127.0.0.1:8080/fhir' };
const at = new Date('2026-01-02T03:04:05.000Z');

const search = markServerEvent(
  buildAuditEvent(
    {
      interaction: 'search',
      resourceType: 'Observation',
      query: 'patient=p1&code=http://loinc.org|1234-5&_text=caf\u00e9 \u{1F600}',
      patientIds: ['p1', 'p2'],
      resources: ['Observation/o1', 'Patient/p2'],
      status: 200,
      policy: { unrestricted: true },
      remoteAddress: '10.0.0.5',
      requestId: 'req-1',
    },
    source,
    at,
  ),
);
const failedLogin = buildAuditEvent(
  { interaction: 'authenticate', path: 'Patient/p1?x="</script>\\\n\t\u0001', status: 401, clientId: 'claims\u2028to-be', outcomeDescription: 'token expired' },
  source,
  at,
);

describe('canonical JSON of audit events', () => {
  it.each([
    ['a search event', search],
    ['a failed login with control characters and escapes', failedLogin],
    ['a chained event', chainEvent(search, 12, 'a'.repeat(64), at)],
  ])('is the text json-canonicalize gives for %s', (_name, event) => {
    expect(canonicalJson(event)).toBe(canonicalize(event));
  });

  it('sorts members by UTF-16 code units and writes values as RFC 8785 does, as json-canonicalize does', () => {
    const value = {
      b: [1, -0, 0.1, 1e21, 5e-324, 123456789.125, true, false, null, undefined, 'x'],
      a: { '\u20ac': 1, '\u{1F600}': 2, '\ufb33': 3, B: 4, '10': 5, '2': 6, '': 7, skipped: undefined },
      c: 'line\nbreak "quoted" \\ \u007f \u2028 \ud800 lone',
      d: new Date('2026-01-02T03:04:05.000Z'),
      e: [[], {}, [{}], { z: [{ y: 1, x: 2 }] }],
    };
    expect(canonicalJson(value)).toBe(canonicalize(value));
    // An array with a hole skips it, as the package does.
    // eslint-disable-next-line no-sparse-arrays
    const holes = [1, , 3];
    expect(canonicalJson(holes)).toBe(canonicalize(holes));
    expect(() => canonicalJson({ n: NaN })).toThrow(/Non-finite/);
    expect(() => canonicalize({ n: NaN })).toThrow(/Non-finite/);
  });

  it('keeps the chain hash of events hashed with json-canonicalize, so events written before still verify', () => {
    const previous = 'b'.repeat(64);
    const chained = chainEvent(search, 7, previous, at);
    const link = readLink(chained)!;
    const unsealed: AuditEvent = {
      ...chained,
      extension: chained.extension!.map((e) => ({ ...e, extension: e.extension?.filter((p) => p.url !== 'hash') })),
    };
    const before = createHash('sha256')
      .update(`${previous}\n${canonicalize(unsealed)}`)
      .digest('hex');
    expect(link.hash).toBe(before);
    expect(recomputeHash(chained)).toBe(before);
  });
});
