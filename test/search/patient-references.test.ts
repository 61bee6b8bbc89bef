import type { FhirResource, Resource } from 'fhir/r4';
import { SearchContext } from '../../src/search/context';
import { buildSearchIndex } from '../../src/search/index-builder';
import { PATIENT_REFERENCE, referencedPatientIds, storedPatientReferences } from '../../src/search/patient-references';

const search = new SearchContext({ baseUrl: 'http://fhir.test/fhir' });
const index = (r: FhirResource) => buildSearchIndex(search, r as Resource);

describe('the index records every Patient a resource references, in any element', () => {
  it('finds references no search parameter or compartment covers: focus, an extension, a contained resource', () => {
    const obs = {
      resourceType: 'Observation',
      id: 'o',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Patient/a' },
      focus: [{ reference: 'Patient/b' }],
      extension: [{ url: 'urn:test:ext', valueReference: { reference: 'Patient/c/_history/2' } }],
      contained: [{ resourceType: 'RelatedPerson', id: 'rp', patient: { reference: 'http://fhir.test/fhir/Patient/d' } }],
      performer: [{ reference: 'Practitioner/x' }, { reference: '#rp' }, { reference: 'http://elsewhere.test/Patient/e' }],
    } as unknown as FhirResource;
    const { s, c } = index(obs);
    expect(storedPatientReferences({ s }).sort()).toEqual(['a', 'b', 'c', 'd']);
    // The compartment holds only what the CompartmentDefinition names.
    expect(c).toEqual(['Patient/a']);
    expect(s.e.filter((e) => e.p === PATIENT_REFERENCE)).toHaveLength(4);
  });

  it('records each Patient once, and nothing for a resource that references none', () => {
    expect(referencedPatientIds({ resourceType: 'Encounter', subject: { reference: 'Patient/a' }, account: [{ reference: 'Patient/a' }] } as Resource)).toEqual(['a']);
    expect(storedPatientReferences(index({ resourceType: 'Organization', id: 'o', name: 'x' }))).toEqual([]);
  });

  it('a Patient is not recorded as referencing itself, only the patients its links name', () => {
    const { s } = index({ resourceType: 'Patient', id: 'p', link: [{ other: { reference: 'Patient/q' }, type: 'seealso' }] });
    expect(storedPatientReferences({ s })).toEqual(['q']);
  });
});
