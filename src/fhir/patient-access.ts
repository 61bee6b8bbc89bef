import { patientCompartmentParams } from './patient-compartment';

/**
 * What a token bound to one patient may see of each R4 resource type: the rule per type, decided from the R4
 * definitions (docs/patient-access.md gives the reasoning, type by type).
 *
 * - `compartment`: in the R4 Patient CompartmentDefinition; visible when the resource is in the patient's
 *   compartment through the definition's parameters.
 * - `linked`: outside the definition, but a search parameter names the patient the resource is about (Device.patient):
 *   treated like a compartment type through those parameters (indexed into the stored `c` on write).
 * - `shared`: not patient-specific (definitions, terminology, directories, products): readable, never writable.
 * - `security-context`: Binary, readable exactly when its `securityContext` target is, checked at read time.
 * - `hidden`: everything else: instance data that can carry another patient's information through references to
 *   any resource (Bundle entries, Linkage items, MessageHeader.focus, ...) with nothing to bind it to one patient.
 *   A type missing from the tables below is hidden: a new or forgotten type fails closed.
 */
export type PatientAccess =
  | { kind: 'compartment'; params: readonly string[] }
  | { kind: 'linked'; params: readonly string[] }
  | { kind: 'shared' }
  | { kind: 'security-context' }
  | { kind: 'hidden' };

/** Types outside the CompartmentDefinition whose search parameters name the patient they are about. */
const LINKED: Readonly<Record<string, readonly string[]>> = {
  Device: ['patient'],
  GuidanceResponse: ['patient', 'subject'],
  // A Contract also names other parties (signers, subjects): policy-filter treats it as a list of patients.
  Contract: ['patient', 'subject', 'signer'],
};

/**
 * Types that are not patient-specific: their references reach definitions, directories and products, never a
 * patient's record (Questionnaire's reference-typed answer options and StructureMap's default values are content of
 * a definition, not links to a person).
 */
const SHARED: ReadonlySet<string> = new Set([
  // Directory and administration
  'Organization',
  'OrganizationAffiliation',
  'Practitioner',
  'PractitionerRole',
  'Location',
  'HealthcareService',
  'Endpoint',
  'InsurancePlan',
  'Slot',
  // Products and substances
  'Medication',
  'MedicationKnowledge',
  'DeviceDefinition',
  'Substance',
  'SubstanceNucleicAcid',
  'SubstancePolymer',
  'SubstanceProtein',
  'SubstanceReferenceInformation',
  'SubstanceSourceMaterial',
  'SubstanceSpecification',
  'MedicinalProduct',
  'MedicinalProductAuthorization',
  'MedicinalProductContraindication',
  'MedicinalProductIndication',
  'MedicinalProductIngredient',
  'MedicinalProductInteraction',
  'MedicinalProductManufactured',
  'MedicinalProductPackaged',
  'MedicinalProductPharmaceutical',
  'MedicinalProductUndesirableEffect',
  'SpecimenDefinition',
  'ObservationDefinition',
  // Conformance and terminology
  'CapabilityStatement',
  'StructureDefinition',
  'StructureMap',
  'ImplementationGuide',
  'SearchParameter',
  'OperationDefinition',
  'CompartmentDefinition',
  'GraphDefinition',
  'MessageDefinition',
  'ExampleScenario',
  'CodeSystem',
  'ValueSet',
  'ConceptMap',
  'NamingSystem',
  'TerminologyCapabilities',
  'TestScript',
  // Knowledge artefacts and study definitions
  'ActivityDefinition',
  'PlanDefinition',
  'Questionnaire',
  'Library',
  'Measure',
  'EventDefinition',
  'ChargeItemDefinition',
  'CatalogEntry',
  'Evidence',
  'EvidenceVariable',
  'EffectEvidenceSynthesis',
  'RiskEvidenceSynthesis',
  'ResearchDefinition',
  'ResearchElementDefinition',
  'ResearchStudy',
]);

export function patientAccessOf(type: string): PatientAccess {
  const params = patientCompartmentParams(type);
  if (params) return { kind: 'compartment', params };
  const linked = LINKED[type];
  if (linked) return { kind: 'linked', params: linked };
  if (SHARED.has(type)) return { kind: 'shared' };
  if (type === 'Binary') return { kind: 'security-context' };
  return { kind: 'hidden' };
}

/**
 * The search parameters whose `Patient/...` values make up a resource's stored compartments (`c`): the
 * CompartmentDefinition's, and the linked types'. Undefined for types that belong to no patient.
 */
export function patientLinkParams(type: string): readonly string[] | undefined {
  return patientCompartmentParams(type) ?? LINKED[type];
}

/** Types whose resources belong to patients (compartment or linked): writable by a patient-bound token. */
export function belongsToPatients(type: string): boolean {
  return patientLinkParams(type) !== undefined;
}
