import { auditInputFor, auditInputForToken } from '../../src/audit/from-request';
import { SmartAccessPolicy } from '../../src/auth/smart-policy';
import type { FhirRequest } from '../../src/router/types';
import { AccessTrace } from '../../src/store/access-trace';

const policy = new SmartAccessPolicy({ scope: 'patient/*.rs', patient: 'p1', client_id: 'app' });
const request = (path: string, query: Array<[string, string]> = [], method: FhirRequest['method'] = 'GET'): FhirRequest => ({
  method,
  path,
  query,
  headers: {},
  policy,
  trace: new AccessTrace(),
});

describe('audit input of a finished request', () => {
  it('names the patients and resources the repository handed out, including _include results', () => {
    const req = request('Observation', [['patient', 'p1'], ['_include', 'Observation:subject']]);
    req.trace!.add('Observation', 'o1', ['Patient/p1']);
    req.trace!.add('Patient', 'p1', ['Patient/p1']);
    const input = auditInputFor({ req, status: 200, method: 'GET', url: '/fhir/Observation?patient=p1', remoteAddress: '10.1.1.1' });
    expect(input).toMatchObject({
      interaction: 'search',
      resourceType: 'Observation',
      query: 'patient=p1&_include=Observation%3Asubject',
      patientIds: ['p1'],
      resources: ['Observation/o1', 'Patient/p1'],
      policy,
      remoteAddress: '10.1.1.1',
      status: 200,
    });
  });

  it('records a read without a query, and a denied one with its diagnostics', () => {
    const input = auditInputFor({ req: request('Condition/c9'), status: 404, error: 'Condition/c9 is not known', method: 'GET', url: '/fhir/Condition/c9' });
    expect(input).toMatchObject({ interaction: 'read', resourceType: 'Condition', id: 'c9', status: 404, outcomeDescription: 'Condition/c9 is not known' });
    expect(input.query).toBeUndefined();
  });

  it('records a failed authentication when the request never got a policy', () => {
    const input = auditInputFor({ status: 401, error: 'Invalid access token: the token has expired', method: 'GET', url: '/fhir/Patient', remoteAddress: '192.0.2.7' });
    expect(input).toMatchObject({ interaction: 'authenticate', status: 401, remoteAddress: '192.0.2.7' });
  });

  it('records token issue and refusal', () => {
    const ok = auditInputForToken({ status: 200, body: { access_token: 'x' }, headers: {}, clientId: 'bulk' }, '10.0.0.2');
    expect(ok).toMatchObject({ interaction: 'token', status: 200, clientId: 'bulk' });
    expect(ok.outcomeDescription).toBeUndefined();
    const refused = auditInputForToken({ status: 401, body: { error: 'invalid_client', error_description: 'client_assertion jti was already used' }, headers: {}, clientId: 'bulk' });
    expect(refused.outcomeDescription).toBe('invalid_client: client_assertion jti was already used');
  });
});
