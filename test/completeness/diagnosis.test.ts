import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import defaults from '../../src/completeness/default-rules.json';
import { startTestServer, type TestServer } from '../helpers/server';
import { ICD, SNOMED, daysAgo, deficiencies, diagnosis, encounter, inZone, patient, put } from './charts';

const problems = async (server: TestServer, id: string) => (await deficiencies(server, id))['encounter-diagnosis']?.description as string | undefined;

/** An ambulatory visit on a date, coded with one diagnosis. */
async function visit(server: TestServer, id: string, date: string, code?: { system: string; code: string }) {
  await put(server, encounter(id, { patient: 'p1', cls: 'AMB', start: `${date}T09:00:00-05:00`, end: `${date}T10:00:00-05:00` }));
  if (code) await put(server, diagnosis(`${id}-dx`, { patient: 'p1', encounter: id, ...code }));
}

describe('a finished encounter needs a coded encounter diagnosis; ICD-10-CM codes in force and billable on the date of service', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await put(server, patient('p1'));
  });
  afterAll(() => server.close());

  it('is deficient without one, 6 days after the visit, and delinquent 8 days after it', async () => {
    await put(
      server,
      encounter('dx-6', { patient: 'p1', cls: 'AMB', end: inZone(daysAgo(6), '-05:00') }),
      encounter('dx-8', { patient: 'p1', cls: 'AMB', end: inZone(daysAgo(8), '-05:00') }),
    );
    const six = (await deficiencies(server, 'dx-6'))['encounter-diagnosis'];
    expect(six.businessStatus.coding[0].code).toBe('deficient');
    expect(six.description).toMatch(/no encounter diagnosis coded in/);
    expect((await deficiencies(server, 'dx-8'))['encounter-diagnosis'].businessStatus.coding[0].code).toBe('delinquent');
  });

  it('accepts a SNOMED CT diagnosis under the default rules, and not a problem-list entry', async () => {
    await visit(server, 'dx-snomed', '2025-06-01', { system: SNOMED, code: '44054006' });
    expect(await problems(server, 'dx-snomed')).toBeUndefined();
    await put(server, encounter('dx-problem', { patient: 'p1', cls: 'AMB', end: '2025-06-01T10:00:00Z' }));
    await put(server, diagnosis('dx-problem-c', { patient: 'p1', encounter: 'dx-problem', system: SNOMED, code: '44054006', category: 'problem-list-item' }));
    expect(await problems(server, 'dx-problem')).toMatch(/no encounter diagnosis/);
  });

  it('B88.0 is billable on a FY2025 date and only a category header on a FY2026 one', async () => {
    await visit(server, 'b88-fy25', '2025-06-01', { system: ICD, code: 'B88.0' });
    await visit(server, 'b88-fy26', '2025-11-01', { system: ICD, code: 'B88.0' });
    expect(await problems(server, 'b88-fy25')).toBeUndefined();
    expect(await problems(server, 'b88-fy26')).toMatch(/B88\.0 is a category header in the ICD-10-CM code set in force on 2025-11-01 \(FY2026\), not billable/);
  });

  it('E11.A is not in force before FY2026 and is billable from October 1, 2025', async () => {
    await visit(server, 'e11a-fy25', '2025-09-30', { system: ICD, code: 'E11.A' });
    await visit(server, 'e11a-fy26', '2025-10-01', { system: ICD, code: 'E11.A' });
    expect(await problems(server, 'e11a-fy25')).toMatch(/E11\.A is not in the ICD-10-CM code set in force on 2025-09-30 \(FY2025\)/);
    expect(await problems(server, 'e11a-fy26')).toBeUndefined();
  });

  it('a header (E11) is never billable, a billable code (E11.9) is, and an unknown code is named', async () => {
    await visit(server, 'e11', '2025-06-01', { system: ICD, code: 'E11' });
    await visit(server, 'e119', '2025-06-01', { system: ICD, code: 'E11.9' });
    await visit(server, 'unknown', '2025-06-01', { system: ICD, code: 'Q99.99' });
    expect(await problems(server, 'e11')).toMatch(/E11 is a category header/);
    expect(await problems(server, 'e119')).toBeUndefined();
    expect(await problems(server, 'unknown')).toMatch(/Q99\.99 is not an ICD-10-CM code/);
  });

  it('dates an inpatient stay by its discharge, as claims are coded: the date as written, not converted to UTC', async () => {
    // Discharged September 30 at 23:30 in New York (October 1 in UTC): FY2025, where E11.A is not yet a code.
    await put(server, encounter('stay', { patient: 'p1', cls: 'IMP', start: '2025-09-20T08:00:00-04:00', end: '2025-09-30T23:30:00-04:00' }));
    await put(server, diagnosis('stay-dx', { patient: 'p1', encounter: 'stay', system: ICD, code: 'E11.A' }));
    expect(await problems(server, 'stay')).toMatch(/not in the ICD-10-CM code set in force on 2025-09-30 \(FY2025\)/);
  });
});

describe('a billing site accepts ICD-10-CM only (DEFICIENCY_RULES_FILE)', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-'));
    const rules = structuredClone(defaults);
    const dx = rules.rules.find((r) => r.id === 'encounter-diagnosis')!;
    dx.condition.related!.codes!.accept = [ICD];
    fs.writeFileSync(path.join(dir, 'rules.json'), JSON.stringify(rules));
    server = await startTestServer({ DEFICIENCY_RULES_FILE: path.join(dir, 'rules.json') });
    await put(server, patient('p1'));
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('finds a SNOMED-only diagnosis deficient', async () => {
    await visit(server, 'snomed-only', '2025-06-01', { system: SNOMED, code: '44054006' });
    expect(await problems(server, 'snomed-only')).toMatch(/no encounter diagnosis coded in http:\/\/hl7\.org\/fhir\/sid\/icd-10-cm$/);
  });
});

describe('the code set the rules check against', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    // A site's own code set (ICD10CM_DIR): FY2026 with B88.0 billable, where the official FY2026 file has it as a header.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icd10cm-'));
    const line = (order: string, code: string, billable: string, text: string) => `${order} ${code.padEnd(7)} ${billable} ${text.padEnd(60)} ${text}\n`;
    fs.writeFileSync(path.join(dir, 'icd10cm-order-2026.txt'), line('00001', 'B880', '1', 'Other acariasis'));
    server = await startTestServer({ ICD10CM_DIR: dir });
    await put(server, patient('p1'));
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('is the one ICD10CM_DIR names, not the bundled files', async () => {
    await visit(server, 'site-b88', '2025-11-01', { system: ICD, code: 'B88.0' });
    expect(await problems(server, 'site-b88')).toBeUndefined();
  });
});
