import type { FhirResource as Resource } from 'fhir/r4';
import { BASE, openTestDb, save, search, sortedMatchIds, type TestDb } from '../helpers/store';

describe('reference search (spec 3.1.1.4.6)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    const resources: Resource[] = [
      { resourceType: 'Observation', id: 'rel', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } },
      { resourceType: 'Observation', id: 'abs', status: 'final', code: { text: 'x' }, subject: { reference: `${BASE}/Patient/p1` } },
      { resourceType: 'Observation', id: 'hist', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1/_history/3' } },
      { resourceType: 'Observation', id: 'grp', status: 'final', code: { text: 'x' }, subject: { reference: 'Group/p1' } },
      { resourceType: 'Observation', id: 'ext', status: 'final', code: { text: 'x' }, subject: { reference: 'http://elsewhere.org/fhir/Patient/p1' } },
      { resourceType: 'Observation', id: 'ident', status: 'final', code: { text: 'x' }, subject: { identifier: { system: 'http://mrn', value: '42' } } },
      { resourceType: 'Observation', id: 'contained', status: 'final', code: { text: 'x' }, subject: { reference: '#p' } },
      { resourceType: 'Observation', id: 'none', status: 'final', code: { text: 'x' } },
    ];
    await save(t.db, ...resources);
  });
  afterAll(() => t.close());
  const ids = async (q: string) => sortedMatchIds(await search(t.store, 'Observation', q));

  it('Type/id matches relative, absolute-to-this-server and versioned references', async () => {
    expect(await ids('subject=Patient/p1')).toEqual(['abs', 'hist', 'rel']);
  });
  it('an absolute URL to this server is the same as Type/id', async () => {
    expect(await ids(`subject=${encodeURIComponent(`${BASE}/Patient/p1`)}`)).toEqual(['abs', 'hist', 'rel']);
  });
  it('a bare id matches any target type', async () => {
    expect(await ids('subject=p1')).toEqual(['abs', 'grp', 'hist', 'rel']);
  });
  it('the :Type modifier restricts the target type', async () => {
    expect(await ids('subject:Group=p1')).toEqual(['grp']);
    expect(await ids('patient=p1')).toEqual(['abs', 'hist', 'rel']);
  });
  it('a reference to another server matches its full URL only', async () => {
    expect(await ids(`subject=${encodeURIComponent('http://elsewhere.org/fhir/Patient/p1')}`)).toEqual(['ext']);
  });
  it(':identifier matches Reference.identifier', async () => {
    expect(await ids('subject:identifier=http://mrn|42')).toEqual(['ident']);
    expect(await ids('subject:identifier=42')).toEqual(['ident']);
  });
  it(':missing', async () => {
    expect(await ids('subject:missing=true')).toEqual(['contained', 'ident', 'none']);
  });
  it('rejects a type modifier that is not a target, or not a type', async () => {
    await expect(ids('subject:Medication=1')).rejects.toMatchObject({ category: 'invalid' });
    await expect(ids('subject:Nonsense=1')).rejects.toMatchObject({ category: 'invalid' });
    await expect(ids('subject:Patient=Group/1')).rejects.toMatchObject({ category: 'invalid' });
  });
});
