import type { AuditEvent, Resource } from 'fhir/r4';
import { auditEventIndexer } from '../../src/audit/audit-index';
import type { AuditInput } from '../../src/audit/audit-input';
import { buildAuditEvent } from '../../src/audit/balp';
import { chainEvent } from '../../src/audit/hash-chain';
import { markServerEvent, markSubmitted } from '../../src/audit/origin';
import { SmartAccessPolicy } from '../../src/auth/smart-policy';
import { destructionEvent } from '../../src/destruction/audit-event';
import { SearchContext } from '../../src/search/context';
import { buildSearchIndex } from '../../src/search/index-builder';

const baseUrl = 'http://127.0.0.1:8080/fhir';
const source = { sourceName: 'fhirstone-test', baseUrl };
const at = new Date('2026-01-02T03:04:05.000Z');
const search = new SearchContext({ baseUrl });
const reference = (r: Resource) => buildSearchIndex(search, r);
const direct = auditEventIndexer(search, () => {
  throw new Error('fell back');
});
const withFallback = auditEventIndexer(search, reference);

const user = new SmartAccessPolicy({ scope: 'user/*.rs', client_id: 'ehr-app', fhirUser: `${baseUrl}/Practitioner/9`, jti: 'tok-7' });
const discloser = new SmartAccessPolicy(
  { scope: 'system/*.rs', client_id: 'insurer' },
  { registration: () => ({ recipient: { name: 'Acme Insurance', outsideCoveredEntity: true, category: 'payment', address: { city: 'Springfield' } } }) },
);
const request = { remoteAddress: '10.0.0.5', requestId: 'req-1' };

/** The events the server writes, one per kind of request, as the trail stores them (marked, then chained). */
const inputs: Record<string, AuditInput> = {
  read: { interaction: 'read', resourceType: 'Patient', id: 'p1', patientIds: ['p1'], status: 200, policy: user, ...request },
  'read, protected mode': { interaction: 'read', resourceType: 'Observation', id: 'o1', patientIds: ['p1'], status: 200, policy: { unrestricted: true }, ...request },
  vread: { interaction: 'vread', resourceType: 'Observation', id: 'o1', versionId: '3', patientIds: ['p1'], status: 200, policy: user, ...request },
  search: {
    interaction: 'search',
    resourceType: 'Observation',
    query: 'patient=p1&code=http://loinc.org|1234-5',
    patientIds: ['p1', 'p2'],
    resources: ['Observation/o1', 'Observation/o2', 'Patient/p2', `Encounter/e1`],
    status: 200,
    policy: user,
    ...request,
  },
  'failed login (refused token)': {
    interaction: 'authenticate',
    path: 'Patient/p1?_x=<script>',
    status: 401,
    clientId: 'claims-to-be',
    outcomeDescription: 'token expired',
    ...request,
  },
  'token issued': { interaction: 'token', status: 200, clientId: 'ehr-app', ...request },
  disclosure: { interaction: 'read', resourceType: 'Condition', id: 'c1', patientIds: ['p3'], status: 200, policy: discloser, ...request },
  'operation with a lifecycle event': {
    interaction: 'operation',
    resourceType: 'Patient',
    id: 'p1',
    operation: 'legal-hold',
    patientIds: ['p1'],
    lifecycle: { code: 'hold', display: 'Hold', entity: 'Basic/h1', detail: [{ type: 'reason', value: 'litigation' }] },
    resources: ['Basic/h1'],
    status: 200,
    policy: user,
    ...request,
  },
  'export file': {
    interaction: 'export-file',
    exportJob: { id: 'j1', url: `${baseUrl}/$export-status/j1`, file: { name: 'Patient.ndjson', url: `${baseUrl}/$export-file/j1/Patient.ndjson`, type: 'Patient' } },
    patientIds: ['p1', 'p2'],
    status: 200,
    policy: user,
    ...request,
  },
  'failed update': { interaction: 'update', resourceType: 'Encounter', id: 'e1', status: 422, outcomeDescription: 'invalid', policy: user, ...request },
  'history of the system': { interaction: 'history', query: '_since=2026-01-01', status: 200, policy: user, ...request },
};

const chained = (event: AuditEvent, seq: number) => chainEvent(event, seq, '0'.repeat(64), at);

function events(): Array<[string, AuditEvent]> {
  const server = Object.entries(inputs).map(([name, input], i): [string, AuditEvent] => [name, chained(markServerEvent(buildAuditEvent(input, source, at)), i + 1)]);
  const submitted = markSubmitted(
    {
      resourceType: 'AuditEvent',
      type: { code: 'x' },
      recorded: '2026-01-02',
      agent: [{ who: { reference: 'Patient/p9' }, requestor: true, altId: 'alt', role: [{ text: 'Self' }], policy: ['urn:p'] }],
      source: { observer: { reference: 'Device/d1' }, site: 'ward 3' },
      entity: [{ what: { reference: `${baseUrl}/Patient/p9/_history/2` }, name: 'P Nine' }, { what: { reference: 'Patient/p9' } }],
      meta: { profile: ['http://example.org/p'], security: [{ system: 'http://s', code: 'R' }], source: 'urn:src' },
    },
    { clientId: 'device-app', unrestricted: false },
  );
  const destruction = destructionEvent({ job: 'd1', patients: ['p4', 'p5'], certificate: 'DocumentReference/cert', baseUrl });
  return [...server, ['submitted by a client', chained(submitted, 90)], ['destruction', chained(markServerEvent(destruction), 91)]];
}

describe("AuditEvent search values, computed directly from the trail's events", () => {
  it.each(events())('gives the search layer index of a %s event to the byte', (_name, event) => {
    const expected = reference(event);
    const actual = direct(event);
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    expect(actual).toEqual(expected);
  });

  it('gives the same index of events with odd data, and leaves other types to the search layer', () => {
    const odd = { ...chained(markServerEvent(buildAuditEvent(inputs.read, source, at)), 1), agent: [{ who: 'Patient/p1' }, null], recorded: 7 } as unknown as AuditEvent;
    expect(JSON.stringify(withFallback(odd))).toBe(JSON.stringify(reference(odd)));
    const patient: Resource = { resourceType: 'Patient', id: 'p1' };
    expect(() => direct(patient)).toThrow('fell back');
    expect(withFallback(patient)).toEqual(reference(patient));
  });
});
