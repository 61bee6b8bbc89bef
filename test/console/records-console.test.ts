import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server';
import { axeViolations, buildConsole, launch, openPage } from './browser';

/**
 * The records console in a real browser against the real server, loaded with the Synthea sample through the API:
 * find a patient, open the chart and a document, see a version's changes, run the completeness audit, open the
 * chart at a deficiency, check the audit trail. Every page: no serious accessibility violation (axe-core) and no
 * error in the browser (a script or style the CSP refused would be one).
 */
const SAMPLES = path.join(__dirname, '..', '..', 'samples', 'synthea-bundles');
const bundle = (name: string) => JSON.parse(fs.readFileSync(path.join(SAMPLES, name), 'utf8'));

describe('the records console at /console', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let patientId: string;
  let birthDate: string;
  let mrn: string;

  beforeAll(async () => {
    buildConsole();
    server = await startTestServer({ BULK_EXPORT_POLL: '20ms' });
    for (const name of fs.readdirSync(SAMPLES).sort((a) => (a.startsWith('Alberto') ? 1 : -1))) {
      if (name.startsWith('Dannie')) continue;
      const res = await server.json('POST', '', bundle(name));
      expect(res.status).toBe(200);
    }
    const found = await server.json('GET', 'Patient?family=Atencio');
    ({ id: patientId, birthDate } = found.body.entry[0].resource);
    mrn = found.body.entry[0].resource.identifier.find((i: any) => i.type?.coding?.[0]?.code === 'MR').value;
    const encounter = (await server.json('GET', `Encounter?patient=${patientId}&_count=1`)).body.entry[0].resource;
    // A progress note of the first encounter, unsigned (a deficiency of the document-authentication rule), and a
    // discharge summary in HTML.
    const note = (id: string, loinc: string, contentType: string, text: string) => ({
      resourceType: 'DocumentReference',
      id,
      status: 'current',
      type: { coding: [{ system: 'http://loinc.org', code: loinc }], text: loinc === '11506-3' ? 'Progress note' : 'Discharge summary' },
      subject: { reference: `Patient/${patientId}` },
      date: '2020-03-01T10:00:00Z',
      content: [{ attachment: { contentType, data: Buffer.from(text).toString('base64') } }],
      context: { encounter: [{ reference: `Encounter/${encounter.id}` }] },
    });
    expect((await server.json('PUT', 'DocumentReference/note-1', note('note-1', '11506-3', 'text/plain', 'Patient seen for a sore throat.'))).status).toBe(201);
    expect((await server.json('PUT', 'DocumentReference/summary-1', note('summary-1', '18842-5', 'text/html', '<h1>Discharge</h1><p>Home.</p>'))).status).toBe(201);
    // A second version of the patient: a new phone number.
    const patient = (await server.json('GET', `Patient/${patientId}`)).body;
    expect((await server.json('PUT', `Patient/${patientId}`, { ...patient, telecom: [{ system: 'phone', value: '555-0100' }] })).status).toBe(200);

    browser = await launch();
    ({ page, errors } = await openPage(browser));
    // Loading the sample through the API takes longer than a test's 30 s on a loaded machine.
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(() => expect(errors).toEqual([]));

  const open = (p: string) => page.goto(`${server.url}/console${p}`);

  it('serves the page under its own strict CSP, and any path below /console (the console routes in the browser)', async () => {
    const res = await open('/patients/none');
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res?.headers()['cache-control']).toBe('no-store');
    // A chart that does not exist: the server's 404 as a readable message.
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Patient/none is not known');
    errors.length = 0; // the browser logs the 404 of the API call itself
  });

  it('finds a patient by name, birth date or MRN, and opens the chart (demographics, identifiers)', async () => {
    await open('/');
    await page.getByText('Protected mode').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Birth date').fill(birthDate);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: /Atencio/ }).waitFor();
    await page.getByLabel('Birth date').fill('');
    await page.getByLabel('Identifier or MRN').fill(mrn);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('cell', { name: mrn }).waitFor();
    await page.getByLabel('Identifier or MRN').fill('');
    await page.getByLabel('Name').fill('Atencio');
    await page.getByRole('button', { name: 'Search' }).click();
    const link = page.getByRole('link', { name: /Atencio/ });
    await link.waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await link.click();
    await page.getByRole('heading', { name: /Atencio/ }).waitFor();
    expect(await page.getByRole('rowheader', { name: 'Birth date' }).isVisible()).toBe(true);
    expect(await page.getByText('phone: 555-0100').isVisible()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('shows what changed between two versions of the patient', async () => {
    await open(`/patients/${patientId}`);
    await page.getByRole('button', { name: /History of Patient record/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('table', { name: 'Differences' }).waitFor();
    expect(await dialog.getByRole('row', { name: /^telecom.*555-0100$/ }).count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
  });

  it('lists encounters and conditions with their codes, and opens a text and an HTML document', async () => {
    await open(`/patients/${patientId}?tab=encounters`);
    await page
      .getByRole('tabpanel')
      .getByText(/Encounter|Ambulatory|Inpatient|Emergency/)
      .first()
      .waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('tab', { name: 'Conditions' }).click();
    await page.getByRole('table', { name: 'Conditions' }).waitFor();
    expect(await page.getByRole('cell', { name: /^SNOMED CT \d+/ }).count()).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('tab', { name: 'Documents' }).click();
    await page
      .getByRole('row', { name: /Progress note/ })
      .getByRole('button', { name: /Open/ })
      .click();
    expect(await page.getByRole('dialog').getByLabel('Document text').textContent()).toBe('Patient seen for a sore throat.');
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page
      .getByRole('row', { name: /Discharge summary/ })
      .getByRole('button', { name: /Open/ })
      .click();
    const frame = page.frameLocator('iframe[title="Document"]');
    expect(await frame.getByRole('heading', { name: 'Discharge' }).textContent()).toBe('Discharge');
    await page.keyboard.press('Escape');
  });

  it('runs the completeness audit with its progress, shows the deficiencies, and opens the chart at one', async () => {
    await open('/deficiencies');
    await page.getByRole('button', { name: 'Run completeness audit' }).click();
    await page.getByText(/The audit finished: \d+ evaluated, [1-9]\d* new deficiencies/).waitFor();
    const row = page.getByRole('row', { name: /DocumentReference\/note-1/ });
    await row.waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('combobox', { name: 'Rule' }).click();
    await page.getByRole('option', { name: 'Document not signed' }).click();
    await row.getByRole('link', { name: /Open chart/ }).click();
    await page.getByText(/^Deficiency:/).waitFor();
    expect(await page.getByRole('row', { name: /Progress note/ }).getAttribute('class')).toContain('focus-row');
    expect(await axeViolations(page)).toEqual([]);
  });

  it("shows the record's retention schedule, places a legal hold with its matter and reason, and releases it", async () => {
    await open(`/patients/${patientId}?tab=retention`);
    await page.getByText('No hold is in force.').waitFor();
    await page.getByRole('button', { name: 'Place a hold' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Matter (case number)').fill('CV-2026-7');
    await dialog.getByLabel('Reason').fill('Litigation notice received');
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Place the hold' }).click();
    const row = page.getByRole('row', { name: /CV-2026-7/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('Litigation notice received');
    expect(await axeViolations(page)).toEqual([]);
    await row.getByRole('button', { name: 'Release the hold of matter CV-2026-7' }).click();
    await dialog.getByLabel('Reason for the release').fill('Case settled');
    await dialog.getByRole('button', { name: 'Release the hold' }).click();
    await page.getByText('No hold is in force.').waitFor();
  });

  it('merges a duplicate into the surviving record after a side-by-side preview, then undoes the merge', async () => {
    const original = (await server.json('GET', `Patient/${patientId}`)).body;
    const duplicate = {
      resourceType: 'Patient',
      id: 'dup-1',
      name: original.name,
      birthDate: original.birthDate,
      gender: original.gender,
      identifier: [{ system: 'urn:other-mrn', value: 'X-1' }],
    };
    expect((await server.json('PUT', 'Patient/dup-1', duplicate)).status).toBe(201);
    const condition = { resourceType: 'Condition', id: 'dup-cond', subject: { reference: 'Patient/dup-1' }, code: { text: 'Asthma' } };
    expect((await server.json('PUT', 'Condition/dup-cond', condition)).status).toBe(201);

    await open('/patients/dup-1');
    await page.getByRole('button', { name: 'Merge into another record' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Surviving record (Patient id)').fill(patientId);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText(/would move 1 resource \(Condition: 1\)/).waitFor();
    expect(await dialog.getByRole('row', { name: /^Birth date.*agrees$/ }).count()).toBe(1);
    expect(await dialog.getByRole('row', { name: /^Identifiers.*differs$/ }).count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Merge', exact: true }).click();
    await page.getByText(/merged into Patient\/.*1 resource/).waitFor();
    expect((await server.json('GET', 'Condition/dup-cond')).body.subject.reference).toBe(`Patient/${patientId}`);

    await open('/patients/dup-1');
    await page.getByText('This record was merged away').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Undo the merge' }).click();
    await page
      .getByText(/unmerged|undone|restored/i)
      .first()
      .waitFor();
    expect((await server.json('GET', 'Condition/dup-cond')).body.subject.reference).toBe('Patient/dup-1');
  });

  it('finds the duplicate pair across the store with its progress, and opens the merge of it side by side', async () => {
    const original = (await server.json('GET', `Patient/${patientId}`)).body;
    const copy = { resourceType: 'Patient', id: 'dup-2', name: original.name, birthDate: original.birthDate, gender: original.gender, address: original.address };
    expect((await server.json('PUT', 'Patient/dup-2', copy)).status).toBe(201);
    await open('/duplicates');
    await page.getByRole('button', { name: 'Find duplicates' }).click();
    // Which of the two the job names first is its own order: the console proposes merging the candidate into it.
    const link = page.getByRole('link', { name: new RegExp(`Compare and merge Patient/(dup-2 into Patient/${patientId}|${patientId} into Patient/dup-2)$`) });
    await link.waitFor();
    expect(await axeViolations(page)).toEqual([]);
    const proposed = (await link.getAttribute('aria-label'))!.split('into Patient/')[1];
    await link.click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByLabel('Surviving record (Patient id)').inputValue()).toBe(proposed);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByRole('table', { name: 'The two records side by side' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('records a disclosure made outside the system and lists it in the accounting, printable', async () => {
    await open(`/patients/${patientId}?tab=disclosures`);
    await page.getByText('No disclosure in this period.').waitFor();
    await page.getByRole('button', { name: 'Record a disclosure made outside the system' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Date disclosed').fill('2026-03-02');
    await dialog.getByLabel(/^Recipient\s*\*?$/).fill('County Health Department');
    await dialog.getByLabel("Recipient's address").fill('5 Elm St, Springfield');
    await dialog.getByLabel('What was disclosed').fill('Lab results of March 2026, by phone');
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Record the disclosure' }).click();
    const row = page.getByRole('row', { name: /County Health Department/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('Lab results of March 2026, by phone');
    expect(await row.textContent()).toContain('5 Elm St, Springfield');
    expect(await page.getByRole('link', { name: "The server's printable page" }).getAttribute('href')).toContain('_format=html');
    expect(await axeViolations(page)).toEqual([]);
  });

  it("shows the patient's audit trail and verifies the chain", async () => {
    await open(`/patients/${patientId}`);
    await page.getByRole('link', { name: 'Audit trail' }).last().click();
    await page.getByRole('table', { name: /Audit events/ }).waitFor();
    expect(await page.getByRole('row').count()).toBeGreaterThan(1);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText('The chain is intact').waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });
  it('shows who accessed the record: the access report by user and client, each access on demand', async () => {
    await open(`/patients/${patientId}?tab=access`);
    const table = page.getByRole('table', { name: /^Accesses from/ });
    await table.waitFor();
    await table
      .getByRole('button', { name: /^Show the accesses of/ })
      .first()
      .click();
    expect(await table.getByRole('cell', { name: 'read', exact: true }).count()).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('reviews the records eligible for destruction on a date, and says on the approval page why protected mode cannot approve', async () => {
    await open('/destruction');
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Eligible on').fill('2300-01-01');
    await page.getByRole('button', { name: 'Review eligible records' }).click();
    const eligible = page.getByRole('table', { name: /^Records eligible for destruction/ });
    await eligible.waitFor();
    expect(await eligible.getByRole('link', { name: `Patient/${patientId}` }).count()).toBe(1);
    const kinds = (await server.json('GET', '$jobs')).body.parameter.map((j: any) => j.part.find((p: any) => p.name === 'kind').valueCode);
    expect(kinds.filter((k: string) => k === 'destruction-review')).toHaveLength(1);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'approval of this review' }).click();
    await page.getByText('Approval is impossible in protected mode').waitFor();
    await eligible.waitFor();
    expect(await page.getByRole('button', { name: 'Approve and destroy' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });
  it("shows the server's health and the jobs this walk started, starts a bulk export, and removes it once done", async () => {
    await open('/operations');
    await page.getByText('Ready', { exact: true }).waitFor();
    const jobs = page.getByRole('table', { name: 'Your jobs, newest first' });
    await jobs.getByRole('cell', { name: 'Completeness audit' }).first().waitFor();
    expect(await jobs.getByRole('cell', { name: 'Destruction review', exact: true }).count()).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Start a bulk export' }).click();
    const row = jobs.getByRole('row', { name: /^Bulk export/ });
    await row.getByText('completed').waitFor();
    await row.getByRole('button', { name: /^Remove the Bulk export job/ }).click();
    await row.getByRole('button').waitFor({ state: 'detached' });
  });
});
