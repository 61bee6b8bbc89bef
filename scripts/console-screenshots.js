#!/usr/bin/env node
// Refreshes the screenshots of the records console in docs/console/ (README, "Console"): builds if needed, starts
// the built server in protected mode on a free loopback port with a temporary DATA_DIR, loads the Synthea sample
// (Alberto Atencio) and two notes through the API, runs the completeness audit, then photographs each page in
// Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) with playwright-core.
//   node scripts/console-screenshots.js
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { chromium } = require('playwright-core');

const root = path.join(__dirname, '..');
const out = path.join(root, 'docs', 'console');
const samples = path.join(root, 'samples', 'synthea-bundles');

function startServer(dataDir) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'main.js')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir, BULK_EXPORT_POLL: '50ms' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'FHIR server listening') resolve({ child, base: entry.url });
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
}

async function api(base, method, p, body) {
  const res = await fetch(`${base}/${p}`, {
    method,
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', prefer: 'respond-async' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return res;
}

async function load(base) {
  const names = fs.readdirSync(samples).sort((a, b) => Number(/^[A-Z][a-z]+_/.test(a)) - Number(/^[A-Z][a-z]+_/.test(b)));
  for (const name of names) await api(base, 'POST', '', JSON.parse(fs.readFileSync(path.join(samples, name), 'utf8')));
  const patient = (await (await api(base, 'GET', 'Patient?family=Atencio')).json()).entry[0].resource;
  const encounter = (await (await api(base, 'GET', `Encounter?patient=${patient.id}&_count=1`)).json()).entry[0].resource;
  const note = (id, loinc, text, contentType, body) => ({
    resourceType: 'DocumentReference',
    id,
    status: 'current',
    type: { coding: [{ system: 'http://loinc.org', code: loinc }], text },
    subject: { reference: `Patient/${patient.id}` },
    date: encounter.period?.end ?? '2020-03-01T10:00:00Z',
    content: [{ attachment: { contentType, data: Buffer.from(body).toString('base64') } }],
    context: { encounter: [{ reference: `Encounter/${encounter.id}` }] },
  });
  await api(
    base,
    'PUT',
    'DocumentReference/note-1',
    note('note-1', '11506-3', 'Progress note', 'text/plain', 'Seen for a sore throat.\nRapid strep negative.\nPlan: fluids, rest.'),
  );
  await api(
    base,
    'PUT',
    'DocumentReference/summary-1',
    note('summary-1', '18842-5', 'Discharge summary', 'text/html', '<h1>Discharge summary</h1><p>Discharged home in good condition.</p>'),
  );
  await api(base, 'PUT', `Patient/${patient.id}`, { ...patient, telecom: [{ system: 'phone', value: '555-0100', use: 'home' }] });
  const duplicate = {
    resourceType: 'Patient',
    id: 'dup-1',
    name: patient.name,
    birthDate: patient.birthDate,
    gender: patient.gender,
    identifier: [{ system: 'urn:clinic-mrn', value: 'C-4471' }],
  };
  await api(base, 'PUT', 'Patient/dup-1', duplicate);
  await api(base, 'POST', `Patient/${patient.id}/$hold`, {
    resourceType: 'Parameters',
    parameter: [
      { name: 'matter', valueString: 'CV-2026-118' },
      { name: 'reason', valueString: 'Litigation hold notice from counsel' },
    ],
  });
  const status = (await api(base, 'POST', '$completeness-audit', { resourceType: 'Parameters' })).headers.get('content-location');
  while ((await fetch(status)).status === 202) await new Promise((r) => setTimeout(r, 200));
  return patient.id;
}

async function main() {
  execFileSync(process.execPath, [path.join(__dirname, 'build-if-needed.js')], { cwd: root, stdio: 'inherit' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-screens-'));
  fs.chmodSync(dataDir, 0o700);
  const { child, base } = await startServer(dataDir);
  const console = base.replace(/\/fhir$/, '/console');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const id = await load(base);
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    fs.mkdirSync(out, { recursive: true });
    const shot = async (name) => {
      await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => undefined);
      await page.screenshot({ path: path.join(out, `${name}.png`) });
      process.stderr.write(`docs/console/${name}.png\n`);
    };
    await page.goto(`${console}/?name=Atencio`);
    await page
      .getByRole('link', { name: /Atencio/ })
      .first()
      .waitFor();
    await shot('patient-search');
    await page.goto(`${console}/patients/${id}`);
    await page.getByRole('rowheader', { name: 'Birth date' }).waitFor();
    await shot('chart');
    await page.goto(`${console}/patients/${id}?tab=encounters`);
    await shot('chart-encounters');
    await page.goto(`${console}/patients/${id}?tab=conditions`);
    await shot('chart-conditions');
    await page.goto(`${console}/patients/${id}?tab=documents`);
    await page
      .getByRole('row', { name: /Progress note/ })
      .getByRole('button', { name: /Open/ })
      .click();
    await page.getByLabel('Document text').waitFor();
    await shot('chart-document');
    await page.goto(`${console}/patients/${id}`);
    await page.getByRole('button', { name: /History of Patient record/ }).click();
    await page.getByRole('table', { name: 'Differences' }).waitFor();
    await shot('chart-history');
    await page.goto(`${console}/patients/${id}?tab=retention`);
    await page.getByRole('row', { name: /CV-2026-118/ }).waitFor();
    await shot('chart-retention');
    await page.goto(`${console}/patients/dup-1`);
    await page.getByRole('button', { name: 'Merge into another record' }).click();
    await page.getByLabel('Surviving record (Patient id)').fill(id);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText(/would move/).waitFor();
    await shot('chart-merge');
    await page.goto(`${console}/patients/${id}?tab=disclosures`);
    await page.getByRole('button', { name: 'Record a disclosure made outside the system' }).click();
    await page.getByLabel('Date disclosed').fill('2026-03-02');
    await page.getByLabel(/^Recipient\s*\*?$/).fill('County Health Department');
    await page.getByLabel("Recipient's address").fill('5 Elm St, Springfield');
    await page.getByLabel('What was disclosed').fill('Immunization history, by phone');
    await page.getByRole('button', { name: 'Record the disclosure' }).click();
    await page.getByRole('row', { name: /County Health Department/ }).waitFor();
    await shot('chart-disclosures');
    await page.goto(`${console}/deficiencies`);
    await page.getByRole('table', { name: /Deficiencies/ }).waitFor();
    await shot('deficiencies');
    await page.goto(`${console}/duplicates`);
    await page.getByRole('button', { name: 'Find duplicates' }).click();
    await page.getByRole('table', { name: /Candidate pairs/ }).waitFor();
    await shot('duplicates');
    await page.goto(`${console}/audit?patient=${id}`);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/The chain is/).waitFor();
    await shot('audit');
    await page.goto(`${console}/patients/${id}?tab=access`);
    await page.getByRole('table', { name: /^Accesses from/ }).waitFor();
    await page
      .getByRole('button', { name: /^Show the accesses of/ })
      .first()
      .click();
    await shot('chart-access-report');
    await page.goto(`${console}/destruction`);
    await page.getByLabel('Eligible on').fill('2300-01-01');
    await page.getByRole('button', { name: 'Review eligible records' }).click();
    await page.getByRole('table', { name: /^Records eligible/ }).waitFor();
    await shot('destruction-review');
    await page.getByRole('link', { name: 'approval of this review' }).click();
    await page.getByRole('table', { name: /^Records eligible/ }).waitFor();
    await shot('destruction-approval');
    await page.goto(`${console}/operations`);
    await page.getByRole('table', { name: 'Your jobs, newest first' }).waitFor();
    await shot('operations');
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
