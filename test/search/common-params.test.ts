import type { FhirResource } from 'fhir/r4';
import { search, sortedMatchIds, useTestDb } from './helpers/store';

const resources = (): FhirResource[] => [
  {
    resourceType: 'Patient',
    id: 'tagged',
    meta: {
      tag: [{ system: 'http://example.org/tags', code: 'vip' }],
      profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'],
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
      source: 'http://example.org/ehr#a1',
    },
  },
  { resourceType: 'Observation', id: 'obs', status: 'final', code: { text: 'x' }, meta: { tag: [{ system: 'http://example.org/tags', code: 'vip' }] } },
  { resourceType: 'Patient', id: 'plain' },
];

describe('common search parameters (spec 3.1.1.4.x, Resource)', () => {
  const db = useTestDb(resources);
  const ids = async (type: string | undefined, q: string) => sortedMatchIds(await search(db().store, type, q));

  it('_tag, _security and _profile search meta', async () => {
    expect(await ids('Patient', '_tag=http://example.org/tags|vip')).toEqual(['tagged']);
    expect(await ids('Patient', '_tag:not=vip')).toEqual(['plain']);
    expect(await ids('Patient', '_security=R')).toEqual(['tagged']);
    expect(await ids('Patient', '_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient')).toEqual(['tagged']);
  });
  it('_source is a uri', async () => {
    expect(await ids('Patient', '_source=http://example.org/ehr#a1')).toEqual(['tagged']);
  });
  it('common parameters work across types in a system search', async () => {
    expect(await ids(undefined, '_type=Patient,Observation&_tag=vip')).toEqual(['obs', 'tagged']);
  });
});
