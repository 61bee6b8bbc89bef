import type { Bundle, BundleEntry, Resource } from 'fhir/r4';

/**
 * Synthea-shaped transaction bundles for machines without ../shared: one patient with an organisation, encounters,
 * conditions, observations, procedures and claims, all POSTed with urn:uuid fullUrls, deterministic per seed.
 * Sizes follow the shared Synthea set (about 150 entries and 500 KB per patient).
 */

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed is written twice: in the first group, and again in the second and fourth, because copies for larger
 * stores (`cloneBundleText`, the store builder) replace the first group, and two bundles' copies must stay apart.
 */
function uuid(seed: number, n: number): string {
  const hex = (v: number, width: number) => (v >>> 0).toString(16).padStart(width, '0').slice(-width);
  return `${hex(seed, 8)}-${hex(seed >>> 16, 4)}-4000-8${hex(seed, 3)}-${hex(n, 12)}`;
}

const FAMILIES = ['Abbott', 'Bode', 'Collier', 'Fadel', 'Harris', 'Lind', 'Murray', 'Ruecker', 'Schmitt', 'Walsh'];
const GIVEN = ['Alberto', 'Barney', 'Claudie', 'Crysta', 'Eddy', 'Janene', 'Kizzie', 'Malcom', 'Patria', 'Xuan'];
const CONDITIONS = [
  ['44054006', 'Diabetes'],
  ['38341003', 'Hypertension'],
  ['195662009', 'Acute viral pharyngitis (disorder)'],
  ['10509002', 'Acute bronchitis (disorder)'],
  ['162864005', 'Body mass index 30+ - obesity (finding)'],
];
const OBSERVATIONS = [
  ['8302-2', 'Body Height', 'cm', 150, 190],
  ['29463-7', 'Body Weight', 'kg', 50, 110],
  ['8867-4', 'Heart rate', '/min', 55, 100],
  ['2339-0', 'Glucose', 'mg/dL', 70, 180],
  ['2093-3', 'Total Cholesterol', 'mg/dL', 150, 260],
] as const;

const coding = (system: string, code: string, display: string) => ({ coding: [{ system, code, display }], text: display });
const post = (fullUrl: string, resource: Resource): BundleEntry => ({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });

export function generatePatientBundle(index: number): Bundle {
  const seed = 0x5e000000 + index;
  const random = rng(seed);
  let n = 0;
  const next = () => `urn:uuid:${uuid(seed, ++n)}`;
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const patientUrl = next();
  const orgUrl = next();
  const born = new Date(Date.UTC(1940 + Math.floor(random() * 60), Math.floor(random() * 12), 1 + Math.floor(random() * 28)));
  const entries: BundleEntry[] = [
    post(patientUrl, {
      resourceType: 'Patient',
      identifier: [{ system: 'https://github.com/synthetichealth/synthea', value: patientUrl.slice(9) }],
      name: [{ use: 'official', family: pick(FAMILIES), given: [pick(GIVEN)] }],
      gender: random() < 0.5 ? 'male' : 'female',
      birthDate: born.toISOString().slice(0, 10),
      address: [{ line: [`${Math.floor(random() * 900) + 100} Main St`], city: 'Boston', state: 'MA', country: 'US' }],
    } as Resource),
    post(orgUrl, { resourceType: 'Organization', name: `Clinic ${index}`, active: true } as Resource),
  ];
  for (let e = 0; e < 14; e++) {
    const encUrl = next();
    const start = new Date(Date.UTC(2005 + e, Math.floor(random() * 12), 1 + Math.floor(random() * 28), 9));
    const period = { start: start.toISOString(), end: new Date(start.getTime() + 3600_000).toISOString() };
    entries.push(
      post(encUrl, {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        type: [coding('http://snomed.info/sct', '185345009', 'Encounter for symptom')],
        subject: { reference: patientUrl },
        serviceProvider: { reference: orgUrl },
        period,
      } as Resource),
    );
    if (e % 3 === 0) {
      const [code, display] = pick(CONDITIONS);
      entries.push(
        post(next(), {
          resourceType: 'Condition',
          clinicalStatus: coding('http://terminology.hl7.org/CodeSystem/condition-clinical', random() < 0.6 ? 'active' : 'resolved', 'Clinical status'),
          verificationStatus: coding('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed', 'Confirmed'),
          code: coding('http://snomed.info/sct', code, display),
          subject: { reference: patientUrl },
          encounter: { reference: encUrl },
          onsetDateTime: period.start,
        } as Resource),
      );
    }
    for (const [code, display, unit, lo, hi] of OBSERVATIONS) {
      entries.push(
        post(next(), {
          resourceType: 'Observation',
          status: 'final',
          category: [coding('http://terminology.hl7.org/CodeSystem/observation-category', 'vital-signs', 'vital-signs')],
          code: coding('http://loinc.org', code, display),
          subject: { reference: patientUrl },
          encounter: { reference: encUrl },
          effectiveDateTime: period.start,
          valueQuantity: { value: Math.round((lo + random() * (hi - lo)) * 10) / 10, unit, system: 'http://unitsofmeasure.org', code: unit },
        } as Resource),
      );
    }
    entries.push(
      post(next(), {
        resourceType: 'Claim',
        status: 'active',
        type: coding('http://terminology.hl7.org/CodeSystem/claim-type', 'professional', 'Professional'),
        use: 'claim',
        patient: { reference: patientUrl },
        created: period.end,
        provider: { reference: orgUrl },
        priority: coding('http://terminology.hl7.org/CodeSystem/processpriority', 'normal', 'Normal'),
        // Claim.insurance is 1..* in R4; Synthea names the payer by display only, as here.
        insurance: [{ sequence: 1, focal: true, coverage: { display: 'Self-pay' } }],
        item: [{ sequence: 1, productOrService: coding('http://snomed.info/sct', '185345009', 'Encounter for symptom'), encounter: [{ reference: encUrl }] }],
        total: { value: Math.round(random() * 50000) / 100, currency: 'USD' },
      } as Resource),
    );
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

/** The counterpart of Synthea's hospitalInformation bundle: organisations every patient's region uses. */
export function generateSharedBundle(): Bundle {
  const seed = 0x5f000000;
  const entry = Array.from({ length: 60 }, (_, i) =>
    post(`urn:uuid:${uuid(seed, i + 1)}`, {
      resourceType: i % 2 ? 'Practitioner' : 'Organization',
      ...(i % 2 ? { name: [{ family: FAMILIES[i % FAMILIES.length], prefix: ['Dr.'] }] } : { name: `Hospital ${i}`, active: true }),
      identifier: [{ system: 'https://github.com/synthetichealth/synthea', value: uuid(seed, i + 1) }],
    } as unknown as Resource),
  );
  return { resourceType: 'Bundle', type: 'transaction', entry };
}
