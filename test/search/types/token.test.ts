import type { FhirResource as Resource } from 'fhir/r4';
import { openTestDb, save, search, sortedMatchIds, type TestDb } from '../helpers/store';

const LOINC = 'http://loinc.org';
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';

describe('token search (spec 3.1.1.4.5)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    const resources: Resource[] = [
      { resourceType: 'Observation', id: 'hr', status: 'final', code: { coding: [{ system: LOINC, code: '8867-4', display: 'Heart rate' }] } },
      { resourceType: 'Observation', id: 'bp', status: 'final', code: { coding: [{ system: LOINC, code: '85354-9' }], text: 'Blood pressure panel' } },
      { resourceType: 'Observation', id: 'nosys', status: 'preliminary', code: { coding: [{ code: '8867-4' }] } },
      { resourceType: 'Observation', id: 'other', status: 'amended', code: { coding: [{ system: 'http://example.org', code: '8867-4' }] } },
      { resourceType: 'Observation', id: 'textonly', status: 'final', code: { text: 'Weight' } },
      {
        resourceType: 'Patient',
        id: 'mrn',
        active: true,
        gender: 'female',
        identifier: [
          {
            system: 'http://hospital/mrn',
            value: 'A|1,2',
            type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'Medical record' },
          },
        ],
        telecom: [{ system: 'email', value: 'ann@example.org' }],
      },
      { resourceType: 'Patient', id: 'ssn', active: false, identifier: [{ system: 'http://ssn', value: '123' }] },
      { resourceType: 'Patient', id: 'nothing' },
      { resourceType: 'Condition', id: 'active', subject: { reference: 'Patient/mrn' }, clinicalStatus: { coding: [{ system: CLINICAL, code: 'active' }] } },
      { resourceType: 'Condition', id: 'relapse', subject: { reference: 'Patient/mrn' }, clinicalStatus: { coding: [{ system: CLINICAL, code: 'relapse' }] } },
      { resourceType: 'Condition', id: 'resolved', subject: { reference: 'Patient/mrn' }, clinicalStatus: { coding: [{ system: CLINICAL, code: 'resolved' }] } },
    ];
    await save(t.db, ...resources);
  });
  afterAll(() => t.close());
  const ids = async (type: string, q: string) => sortedMatchIds(await search(t.store, type, q));

  it('code alone matches in any system', async () => {
    expect(await ids('Observation', 'code=8867-4')).toEqual(['hr', 'nosys', 'other']);
  });
  it('system|code matches that system only', async () => {
    expect(await ids('Observation', `code=${LOINC}|8867-4`)).toEqual(['hr']);
  });
  it('|code matches codes without a system', async () => {
    expect(await ids('Observation', 'code=|8867-4')).toEqual(['nosys']);
  });
  it('system| matches any code of the system', async () => {
    expect(await ids('Observation', `code=${LOINC}|`)).toEqual(['bp', 'hr']);
  });
  it('codes are case-sensitive', async () => {
    expect(await ids('Observation', 'status=FINAL')).toEqual([]);
  });
  it(':not excludes matching resources and keeps those without the element', async () => {
    expect(await ids('Observation', 'status:not=final')).toEqual(['nosys', 'other']);
    expect(await ids('Observation', 'code:not=8867-4')).toEqual(['bp', 'textonly']);
    expect(await ids('Observation', 'status:not=final,amended')).toEqual(['nosys']);
  });
  it(':text searches CodeableConcept.text and Coding.display by prefix, accent- and case-insensitive', async () => {
    expect(await ids('Observation', 'code:text=heart')).toEqual(['hr']);
    expect(await ids('Observation', 'code:text=BLOOD')).toEqual(['bp']);
    expect(await ids('Observation', 'code:text=weight')).toEqual(['textonly']);
  });
  it(':missing', async () => {
    expect(await ids('Patient', 'identifier:missing=true')).toEqual(['nothing']);
    expect(await ids('Patient', 'identifier:missing=false')).toEqual(['mrn', 'ssn']);
  });
  it('matches identifiers by system|value with escaped separators', async () => {
    expect(await ids('Patient', 'identifier=http://hospital/mrn|A\\|1\\,2')).toEqual(['mrn']);
    expect(await ids('Patient', 'identifier=A\\|1\\,2')).toEqual(['mrn']);
    expect(await ids('Patient', 'identifier=http://ssn|123,http://other|9')).toEqual(['ssn']);
  });
  it(':of-type matches an identifier by its type and value', async () => {
    expect(await ids('Patient', 'identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|A\\|1\\,2')).toEqual(['mrn']);
    expect(await ids('Patient', 'identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|123')).toEqual([]);
  });
  it(':of-type needs three parts', async () => {
    await expect(ids('Patient', 'identifier:of-type=MR|123')).rejects.toMatchObject({ category: 'invalid' });
  });
  it('booleans and ContactPoints are tokens', async () => {
    expect(await ids('Patient', 'active=true')).toEqual(['mrn']);
    expect(await ids('Patient', 'active=false')).toEqual(['ssn']);
    expect(await ids('Patient', 'email=ann@example.org')).toEqual(['mrn']);
  });
  it(':in matches codes of a bundled ValueSet; :not-in the rest', async () => {
    expect(await ids('Condition', 'clinical-status:in=http://hl7.org/fhir/ValueSet/condition-clinical')).toEqual(['active', 'relapse', 'resolved']);
    expect(await ids('Condition', 'clinical-status:not-in=http://hl7.org/fhir/ValueSet/condition-clinical')).toEqual([]);
  });
  it(':below walks the code system hierarchy (relapse is-a active)', async () => {
    expect(await ids('Condition', `clinical-status:below=${CLINICAL}|active`)).toEqual(['active', 'relapse']);
    expect(await ids('Condition', `clinical-status:above=${CLINICAL}|relapse`)).toEqual(['active', 'relapse']);
  });
  it(':in with an unknown ValueSet is a 400', async () => {
    await expect(ids('Condition', 'clinical-status:in=http://example.org/ValueSet/none')).rejects.toMatchObject({ category: 'invalid' });
  });
  it('_id is a token on the resource id', async () => {
    expect(await ids('Patient', '_id=mrn,ssn')).toEqual(['mrn', 'ssn']);
    expect(await ids('Patient', '_id:not=mrn')).toEqual(['nothing', 'ssn']);
  });
});
