import { buildAuditEvent, outcomeOf } from '../../src/audit/balp';
import { SmartAccessPolicy } from '../../src/auth/smart-policy';

const source = { sourceName: 'fhirstone-test', baseUrl: 'http://127.0.0.1:8080/fhir' };
const at = new Date('2026-01-02T03:04:05.000Z');
const decode = (b64?: string) => Buffer.from(b64 ?? '', 'base64').toString('utf8');

describe('BALP-shaped AuditEvents', () => {
  const policy = new SmartAccessPolicy({
    scope: 'patient/*.rs',
    patient: 'p1',
    client_id: 'growth-chart',
    fhirUser: 'https://ehr/fhir/Practitioner/9',
    jti: 'tok-7',
  });

  it('records a read as rest/read, action R, with client, server and user agents and a patient entity', () => {
    const e = buildAuditEvent(
      { interaction: 'read', resourceType: 'Observation', id: 'o1', patientIds: ['p1'], status: 200, policy, remoteAddress: '10.0.0.5' },
      source,
      at,
    );
    expect(e.type).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' });
    expect(e.subtype).toEqual([expect.objectContaining({ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' })]);
    expect(e.action).toBe('R');
    expect(e.recorded).toBe('2026-01-02T03:04:05.000Z');
    expect(e.outcome).toBe('0');
    const [client, server, user] = e.agent;
    // Data flows to the client on a read: the client is the Destination, the server the Source (DICOM roles).
    expect(client.type?.coding?.[0].code).toBe('110152');
    expect(client.who?.identifier?.value).toBe('growth-chart');
    expect(client.network).toEqual({ address: '10.0.0.5', type: '2' });
    expect(client.requestor).toBe(false);
    expect(server.type?.coding?.[0].code).toBe('110153');
    expect(server.network).toEqual({ address: source.baseUrl, type: '5' });
    expect(user).toMatchObject({ who: { reference: 'https://ehr/fhir/Practitioner/9' }, requestor: true, policy: ['tok-7'] });
    expect(e.source.observer.display).toBe('fhirstone-test');
    expect(e.entity).toEqual([
      expect.objectContaining({ what: { reference: 'Patient/p1' }, role: expect.objectContaining({ code: '1' }) }),
      expect.objectContaining({ what: { reference: 'Observation/o1' }, role: expect.objectContaining({ code: '4' }) }),
    ]);
  });

  it('records a search as action E with the query entity and every patient touched', () => {
    const e = buildAuditEvent(
      {
        interaction: 'search',
        resourceType: 'Condition',
        query: 'patient=p1&category=problem-list-item',
        patientIds: ['p1', 'p2'],
        resources: ['Condition/c1', 'Condition/c2'],
        status: 200,
        policy,
      },
      source,
      at,
    );
    expect(e.action).toBe('E');
    expect(e.agent[0].type?.coding?.[0].code).toBe('110153');
    const query = e.entity?.find((x) => x.role?.code === '24');
    expect(decode(query?.query)).toBe('Condition?patient=p1&category=problem-list-item');
    const patients = e.entity?.filter((x) => x.role?.code === '1').map((x) => x.what?.reference);
    expect(patients).toEqual(['Patient/p1', 'Patient/p2']);
    expect(e.entity?.filter((x) => x.role?.code === '4')).toHaveLength(2);
  });

  it('maps the status to the outcome: 0 success, 4 client failure, 8 server failure', () => {
    expect(outcomeOf(201)).toBe('0');
    expect(outcomeOf(304)).toBe('0');
    expect(outcomeOf(403)).toBe('4');
    expect(outcomeOf(404)).toBe('4');
    expect(outcomeOf(503)).toBe('8');
  });

  it('records a denied access with its reason', () => {
    const e = buildAuditEvent(
      { interaction: 'create', resourceType: 'Observation', status: 403, outcomeDescription: 'The access token does not allow create on Observation', policy },
      source,
      at,
    );
    expect(e.outcome).toBe('4');
    expect(e.action).toBe('C');
    expect(e.outcomeDesc).toBe('HTTP 403: The access token does not allow create on Observation');
  });

  it('records a failed authentication and a token issue as User Authentication / Login', () => {
    const failed = buildAuditEvent({ interaction: 'authenticate', status: 401, remoteAddress: '192.0.2.1' }, source, at);
    expect(failed.type).toMatchObject({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114' });
    expect(failed.subtype?.[0].code).toBe('110122');
    expect(failed.outcome).toBe('4');
    expect(failed.agent[0].who?.display).toBe('unauthenticated client');
    const issued = buildAuditEvent({ interaction: 'token', clientId: 'analytics', status: 200 }, source, at);
    expect(issued.agent[0]).toMatchObject({ who: { identifier: { value: 'analytics' } }, requestor: true });
  });

  it('names the history level and the versioned resource of a vread', () => {
    expect(buildAuditEvent({ interaction: 'history', resourceType: 'Patient', id: 'p1', status: 200 }, source, at).subtype?.[0].code).toBe('history-instance');
    expect(buildAuditEvent({ interaction: 'history', status: 200 }, source, at).subtype?.[0].code).toBe('history-system');
    const v = buildAuditEvent({ interaction: 'vread', resourceType: 'Observation', id: 'o1', versionId: '3', status: 200 }, source, at);
    expect(v.entity?.[0].what?.reference).toBe('Observation/o1/_history/3');
  });

  it('keeps at most 100 resource entities for a large search', () => {
    const resources = Array.from({ length: 500 }, (_, i) => `Observation/o${i}`);
    const e = buildAuditEvent({ interaction: 'search', resourceType: 'Observation', resources, query: '', status: 200 }, source, at);
    expect(e.entity?.filter((x) => x.role?.code === '4')).toHaveLength(100);
  });

  it('records an export with its operation name', () => {
    const e = buildAuditEvent({ interaction: 'export', operation: 'export', query: '_type=Patient', status: 202 }, source, at);
    expect(e.subtype?.[0].code).toBe('operation');
    expect(e.entity?.[0].description).toBe('$export?_type=Patient');
  });

  it('adds the record lifecycle event an operation performed to the subtype, and its why to the entity it was recorded in', () => {
    const e = buildAuditEvent(
      {
        interaction: 'operation',
        resourceType: 'Patient',
        id: 'p1',
        operation: 'hold',
        patientIds: ['p1'],
        resources: ['Patient/p1', 'Basic/h1'],
        lifecycle: { code: 'hold', display: 'Add Legal Hold Record Lifecycle Event', entity: 'Basic/h1', detail: [{ type: 'matter', value: 'CV-1' }] },
        status: 201,
        policy,
      },
      source,
      at,
    );
    expect(e.subtype).toEqual([
      { system: 'http://hl7.org/fhir/restful-interaction', code: 'operation', display: 'operation' },
      { system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'hold', display: 'Add Legal Hold Record Lifecycle Event' },
    ]);
    expect(e.entity?.find((x) => x.what?.reference === 'Basic/h1')?.detail).toEqual([{ type: 'matter', valueString: 'CV-1' }]);
    expect(e.entity?.find((x) => x.what?.reference === 'Patient/p1')?.detail).toBeUndefined();
  });
});
