import type { FhirResource as Resource } from 'fhir/r4';
import { openTestDb, save, search, sortedMatchIds, type TestDb } from '../helpers/store';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

describe('number, uri and composite search', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    const bp = (id: string, systolic: number, diastolic: number): Resource =>
      ({
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { coding: [{ system: LOINC, code: '85354-9' }] },
        component: [
          { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic, system: UCUM, code: 'mm[Hg]' } },
          { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: diastolic, system: UCUM, code: 'mm[Hg]' } },
        ],
      }) as Resource;
    const resources: Resource[] = [
      { resourceType: 'RiskAssessment', id: 'r10', status: 'final', subject: { reference: 'Patient/1' }, prediction: [{ probabilityDecimal: 0.1 }] },
      { resourceType: 'RiskAssessment', id: 'r85', status: 'final', subject: { reference: 'Patient/1' }, prediction: [{ probabilityDecimal: 0.85 }] },
      { resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://example.org/fhir/ValueSet/a' },
      { resourceType: 'ValueSet', id: 'vs2', status: 'active', url: 'http://example.org/fhir/ValueSet/a/b' },
      { resourceType: 'ValueSet', id: 'vs3', status: 'active', url: 'http://example.org/other' },
      bp('high', 150, 95),
      bp('normal', 118, 75),
      {
        resourceType: 'Observation',
        id: 'glucose',
        status: 'final',
        code: { coding: [{ system: LOINC, code: '2339-0' }] },
        valueQuantity: { value: 95, system: UCUM, code: 'mg/dL' },
      },
    ];
    await save(t.db, ...resources);
  });
  afterAll(() => t.close());
  const ids = async (type: string, q: string) => sortedMatchIds(await search(t.store, type, q));

  it('number: prefixes and the precision of the search value', async () => {
    expect(await ids('RiskAssessment', 'probability=gt0.5')).toEqual(['r85']);
    expect(await ids('RiskAssessment', 'probability=0.1')).toEqual(['r10']);
    expect(await ids('RiskAssessment', 'probability=le0.85')).toEqual(['r10', 'r85']);
    expect(await ids('RiskAssessment', 'probability=ne0.1')).toEqual(['r85']);
    await expect(ids('RiskAssessment', 'probability=high')).rejects.toMatchObject({ category: 'invalid' });
  });
  it('uri: exact by default, :below and :above by path', async () => {
    expect(await ids('ValueSet', 'url=http://example.org/fhir/ValueSet/a')).toEqual(['vs1']);
    expect(await ids('ValueSet', 'url:below=http://example.org/fhir')).toEqual(['vs1', 'vs2']);
    expect(await ids('ValueSet', 'url:above=http://example.org/fhir/ValueSet/a/b/c')).toEqual(['vs1', 'vs2']);
    expect(await ids('ValueSet', 'url=http://example.org/fhir/valueset/a')).toEqual([]);
  });
  it('composite: both parts must hold on the same component', async () => {
    expect(await ids('Observation', `component-code-value-quantity=${LOINC}|8480-6$gt140`)).toEqual(['high']);
    // 95 is a diastolic value of "high", not a systolic one.
    expect(await ids('Observation', `component-code-value-quantity=${LOINC}|8480-6$95`)).toEqual([]);
    expect(await ids('Observation', `component-code-value-quantity=8462-4$lt80|${UCUM}|mm[Hg]`)).toEqual(['normal']);
  });
  it('searches every component value (`Observation.component.value as Quantity` over repeating components)', async () => {
    expect(await ids('Observation', 'component-value-quantity=gt140')).toEqual(['high']);
    expect(await ids('Observation', 'combo-value-quantity=lt80')).toEqual(['normal']);
  });
  it('composite on the resource itself: code with value', async () => {
    expect(await ids('Observation', `code-value-quantity=${LOINC}|2339-0$ge90|${UCUM}|mg/dL`)).toEqual(['glucose']);
    expect(await ids('Observation', `code-value-quantity=${LOINC}|2339-0$lt90`)).toEqual([]);
  });
  it('composite: a value with the wrong number of parts is a 400', async () => {
    await expect(ids('Observation', 'component-code-value-quantity=8480-6')).rejects.toMatchObject({ category: 'invalid' });
    await expect(ids('Observation', 'component-code-value-quantity=8480-6$1$2')).rejects.toMatchObject({ category: 'invalid' });
  });
});
