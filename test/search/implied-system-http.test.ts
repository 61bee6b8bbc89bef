import { startTestServer, type TestServer } from '../helpers/server';

/**
 * A token on a `code` element (gender, status, intent) has the system its required binding implies (spec
 * 3.1.1.4.5), so `system|code` finds what `code` finds, as US Core requires; `|code` ("no system") does not.
 */

const GENDER = 'http://hl7.org/fhir/administrative-gender';
let server: TestServer;

const ids = (body: any, type?: string): string[] =>
  (body.entry ?? [])
    .filter((e: any) => (type ? e.resource.resourceType === type : e.search?.mode !== 'include'))
    .map((e: any) => e.resource.id)
    .sort();

async function search(query: string, type?: string): Promise<string[]> {
  const res = await server.json('GET', query);
  expect(res.status).toBe(200);
  return ids(res.body, type);
}

beforeAll(async () => {
  server = await startTestServer();
  const put = async (resource: any) => {
    const res = await server.json('PUT', `${resource.resourceType}/${resource.id}`, resource);
    expect(res.status).toBeLessThan(300);
  };
  await put({ resourceType: 'Patient', id: 'f1', gender: 'female' });
  await put({ resourceType: 'Patient', id: 'f2', gender: 'female' });
  await put({ resourceType: 'Patient', id: 'm1', gender: 'male' });
  await put({ resourceType: 'Patient', id: 'n1' });
  const medication = { medicationCodeableConcept: { text: 'aspirin' } };
  await put({ resourceType: 'MedicationRequest', id: 'mr-stopped', status: 'stopped', intent: 'order', subject: { reference: 'Patient/f1' }, ...medication });
  await put({ resourceType: 'MedicationRequest', id: 'mr-active', status: 'active', intent: 'order', subject: { reference: 'Patient/f1' }, ...medication });
  const content = [{ attachment: { contentType: 'text/plain', data: 'aGk=' } }];
  await put({ resourceType: 'DocumentReference', id: 'dr-old', status: 'superseded', content });
  await put({ resourceType: 'DocumentReference', id: 'dr-cur', status: 'current', content });
  await put({ resourceType: 'Observation', id: 'o-final', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/f1' } });
  await put({ resourceType: 'Observation', id: 'o-male', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/m1' } });
  await put({ resourceType: 'Observation', id: 'o-prelim', status: 'preliminary', code: { text: 'x' } });
  await put({ resourceType: 'Task', id: 't-order', status: 'requested', intent: 'order' });
  await put({ resourceType: 'Task', id: 't-unknown', status: 'requested', intent: 'unknown' });
});
afterAll(async () => {
  await server.close();
});

describe('token search on a code element', () => {
  it('finds the same patients by gender with and without the implied system', async () => {
    expect(await search('Patient?gender=female')).toEqual(['f1', 'f2']);
    expect(await search(`Patient?gender=${GENDER}|female`)).toEqual(['f1', 'f2']);
    expect(await search(`Patient?gender=${encodeURIComponent(`${GENDER}|female`)}`)).toEqual(['f1', 'f2']);
  });

  it('finds nothing when the system is not the implied one', async () => {
    expect(await search('Patient?gender=http://example.org|female')).toEqual([]);
  });

  it('treats |code as "no system", which a code with an implied system does not match', async () => {
    expect(await search('Patient?gender=|female')).toEqual([]);
  });

  it('finds every code of the implied system with system|', async () => {
    expect(await search(`Patient?gender=${GENDER}|`)).toEqual(['f1', 'f2', 'm1']);
  });

  it('negates system|code with :not (resources without the element included)', async () => {
    expect(await search(`Patient?gender:not=${GENDER}|female`)).toEqual(['m1', 'n1']);
    expect(await search('Patient?gender:not=http://example.org|female')).toEqual(['f1', 'f2', 'm1', 'n1']);
  });

  it('matches :in against the value set the binding names', async () => {
    expect(await search('Patient?gender:in=http://hl7.org/fhir/ValueSet/administrative-gender')).toEqual(['f1', 'f2', 'm1']);
  });

  it('finds MedicationRequest, DocumentReference and Observation by system|status', async () => {
    expect(await search('MedicationRequest?status=http://hl7.org/fhir/CodeSystem/medicationrequest-status|stopped')).toEqual(['mr-stopped']);
    expect(await search('DocumentReference?status=http://hl7.org/fhir/document-reference-status|superseded')).toEqual(['dr-old']);
    expect(await search('Observation?status=http://hl7.org/fhir/observation-status|final')).toEqual(['o-final', 'o-male']);
    expect(await search('Observation?status=http://hl7.org/fhir/document-reference-status|final')).toEqual([]);
  });

  it('takes the system whose concepts hold the code when the value set spans several (Task.intent)', async () => {
    expect(await search('Task?intent=http://hl7.org/fhir/request-intent|order')).toEqual(['t-order']);
    expect(await search('Task?intent=http://hl7.org/fhir/task-intent|unknown')).toEqual(['t-unknown']);
    expect(await search('Task?intent=http://hl7.org/fhir/task-intent|order')).toEqual([]);
  });

  it('serves system|code in a chain and leaves _include as it was', async () => {
    expect(await search(`Observation?subject:Patient.gender=${GENDER}|female`)).toEqual(['o-final']);
    const res = await server.json('GET', `Observation?status=http://hl7.org/fhir/observation-status|final&_include=Observation:subject`);
    expect(ids(res.body, 'Observation')).toEqual(['o-final', 'o-male']);
    expect(ids(res.body, 'Patient')).toEqual(['f1', 'm1']);
  });
});
