import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type SecureServer, put, refsOf, startSecureServer } from '../security/support';

/**
 * `_revinclude=Provenance:target` on every type US Core 6.1.0's server CapabilityStatement lists it for: the
 * Provenance of each resource comes with it, by `_id` and by `patient` (as US Core clients ask), and a patient-bound
 * token gets it when the Provenance is in its compartment (the R4 definition: a Provenance whose targets include the
 * Patient).
 */
const P = 'prov-pat';
const patient = { reference: `Patient/${P}` };
const text = { text: 'test' };

/** A minimal valid resource of each type US Core revincludes Provenance for, about patient P. */
const RESOURCES: Record<string, Record<string, unknown>> = {
  AllergyIntolerance: { clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] }, patient },
  CarePlan: { status: 'active', intent: 'plan', subject: patient },
  CareTeam: { subject: patient },
  Condition: { subject: patient },
  Coverage: { status: 'active', beneficiary: patient, payor: [{ reference: 'Organization/prov-org' }] },
  Device: { patient },
  DiagnosticReport: { status: 'final', code: text, subject: patient },
  DocumentReference: { status: 'current', subject: patient, content: [{ attachment: { contentType: 'text/plain', url: 'https://docs.test/1' } }] },
  Encounter: { status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: patient },
  Goal: { lifecycleStatus: 'active', description: text, subject: patient },
  Immunization: { status: 'completed', vaccineCode: text, patient, occurrenceDateTime: '2021-01-01' },
  MedicationDispense: { status: 'completed', medicationCodeableConcept: text, subject: patient },
  MedicationRequest: { status: 'active', intent: 'order', medicationCodeableConcept: text, subject: patient },
  Observation: { status: 'final', code: text, subject: patient },
  Patient: {},
  Procedure: { status: 'completed', subject: patient },
  QuestionnaireResponse: { status: 'completed', subject: patient },
  RelatedPerson: { patient },
  ServiceRequest: { status: 'active', intent: 'order', subject: patient },
};

/** The types US Core's server CapabilityStatement gives `searchRevInclude: Provenance:target`, when the package is here. */
function usCoreRevincludeTypes(): string[] | undefined {
  const file = path.join(__dirname, '../../../../shared/fhir-packages/hl7.fhir.us.core-6.1.0/package/CapabilityStatement-us-core-server.json');
  let statement: { rest: Array<{ resource: Array<{ type: string; searchRevInclude?: string[] }> }> };
  try {
    statement = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  return statement.rest[0].resource.filter((r) => r.searchRevInclude?.includes('Provenance:target')).map((r) => r.type);
}

let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
  await put(server.system, { resourceType: 'Organization', id: 'prov-org', name: 'Payer' });
  await put(server.system, { resourceType: 'Patient', id: P });
  for (const [type, body] of Object.entries(RESOURCES)) {
    const id = type === 'Patient' ? P : `rev-${type.toLowerCase()}`;
    if (type !== 'Patient') await put(server.system, { resourceType: type, id, ...body });
    // One Provenance naming only the resource, one naming the Patient too (in the patient's compartment).
    const provenance = (suffix: string, targets: string[]) => ({
      resourceType: 'Provenance',
      id: `prov-${type.toLowerCase()}-${suffix}`,
      target: targets.map((reference) => ({ reference })),
      recorded: '2021-01-01T00:00:00Z',
      agent: [{ who: { reference: 'Organization/prov-org' } }],
    });
    await put(server.system, provenance('only', [`${type}/${id}`]));
    if (type !== 'Patient') await put(server.system, provenance('with-patient', [`${type}/${id}`, `Patient/${P}`]));
  }
});
afterAll(() => server.close());

it('covers every type the US Core server CapabilityStatement lists (when ../shared has the package)', () => {
  const listed = usCoreRevincludeTypes();
  if (listed) expect(listed.sort()).toEqual(Object.keys(RESOURCES).sort());
});

it('is declared in the CapabilityStatement for each of these types', async () => {
  const res = await server.system.json('GET', 'metadata');
  const declared = (res.body.rest[0].resource as Array<{ type: string; searchRevInclude?: string[] }>).filter((r) => r.searchRevInclude?.includes('Provenance:target'));
  expect(declared.map((r) => r.type)).toEqual(expect.arrayContaining(Object.keys(RESOURCES)));
});

describe.each(Object.keys(RESOURCES))('%s?_revinclude=Provenance:target', (type) => {
  const id = type === 'Patient' ? P : `rev-${type.toLowerCase()}`;
  const own = (refs: string[]) => refs.filter((r) => r.startsWith(`Provenance/prov-${type.toLowerCase()}-`)).sort();
  const expected =
    type === 'Patient' ? [`Provenance/prov-patient-only`] : [`Provenance/prov-${type.toLowerCase()}-only`, `Provenance/prov-${type.toLowerCase()}-with-patient`];

  it('includes the Provenance of the resource, searched by _id', async () => {
    const res = await server.system.json('GET', `${type}?_id=${id}&_revinclude=Provenance:target`);
    expect(res.status).toBe(200);
    expect(refsOf(res.body)).toContain(`${type}/${id}`);
    expect(own(refsOf(res.body))).toEqual(expected);
  });

  it('includes it for a search by patient, and for a patient token when the Provenance is in its compartment', async () => {
    const byPatient = type === 'Patient' ? `Patient?_id=${P}` : `${type}?patient=${P}`;
    const system = await server.system.json('GET', `${byPatient}&_revinclude=Provenance:target`);
    expect(own(refsOf(system.body))).toEqual(expected);
    const token = await server.patient(P, 'patient/*.rs');
    const res = await token.json('GET', `${byPatient}&_revinclude=Provenance:target`);
    expect(res.status).toBe(200);
    const inCompartment = type === 'Patient' ? expected : [`Provenance/prov-${type.toLowerCase()}-with-patient`];
    expect(own(refsOf(res.body))).toEqual(inCompartment);
  });
});
