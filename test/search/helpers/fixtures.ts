import type { FhirResource } from 'fhir/r4';
import type { AccessPolicy } from '../../../src/auth/access-policy';

/** Two patients with their clinical data, a practitioner and an organization: the leak-test world. */
export function twoPatients(): FhirResource[] {
  return [
    { resourceType: 'Organization', id: 'org', name: 'Acme Hospital' },
    { resourceType: 'Practitioner', id: 'doc', name: [{ family: 'House' }] },
    {
      resourceType: 'Patient',
      id: 'alice',
      name: [{ family: 'Alpha', given: ['Alice'] }],
      managingOrganization: { reference: 'Organization/org' },
      generalPractitioner: [{ reference: 'Practitioner/doc' }],
    },
    {
      resourceType: 'Patient',
      id: 'bob',
      name: [{ family: 'Beta', given: ['Bob'] }],
      managingOrganization: { reference: 'Organization/org' },
      link: [{ other: { reference: 'Patient/alice' }, type: 'seealso' }],
    },
    {
      resourceType: 'Encounter',
      id: 'enc-a',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: 'Patient/alice' },
      participant: [{ individual: { reference: 'Practitioner/doc' } }],
    },
    { resourceType: 'Encounter', id: 'enc-b', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/bob' } },
    {
      resourceType: 'Observation',
      id: 'obs-a',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] },
      subject: { reference: 'Patient/alice' },
      encounter: { reference: 'Encounter/enc-a' },
      performer: [{ reference: 'Practitioner/doc' }],
    },
    {
      resourceType: 'Observation',
      id: 'obs-b',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] },
      subject: { reference: 'Patient/bob' },
      encounter: { reference: 'Encounter/enc-b' },
    },
    {
      resourceType: 'Observation',
      id: 'obs-b2',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '9999-9' }] },
      subject: { reference: 'Patient/bob' },
      hasMember: [{ reference: 'Observation/obs-a' }],
    },
    {
      resourceType: 'Provenance',
      id: 'prov-b',
      target: [{ reference: 'Observation/obs-b' }],
      recorded: '2020-01-01T00:00:00Z',
      agent: [{ who: { reference: 'Practitioner/doc' } }],
    },
  ];
}

/** A token bound to one patient's compartment, granted everything else: the repository applies its bound. */
export function compartmentPolicy(patientId: string): AccessPolicy {
  return { scopes: ['patient/*.rs'], unrestricted: false, patientIds: [patientId], allows: () => true, searchRestrictions: () => undefined };
}
