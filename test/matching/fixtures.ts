import type { Patient } from 'fhir/r4';

export const SSN = 'http://hl7.org/fhir/sid/us-ssn';

/** William Henry Ferry, born 1970-04-12, of 12 Main Street, with `p` overriding any of it (undefined removes). */
export const ferry = (p: Partial<Patient> = {}): Patient & { [k: string]: unknown } => ({
  resourceType: 'Patient',
  name: [{ family: 'Ferry', given: ['William', 'Henry'] }],
  gender: 'male',
  birthDate: '1970-04-12',
  address: [{ line: ['12 Main Street'], city: 'Cambridge', postalCode: '02139' }],
  telecom: [{ system: 'phone', value: '555-123-4567' }],
  ...p,
});

/** The same, stored under `id`. */
export const storedFerry = (id: string, p: Partial<Patient> = {}) => ({ ...ferry(p), id });
