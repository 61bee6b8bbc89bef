/**
 * Accounting of disclosures bench: one patient with 100,000 AuditEvents (most of them reads and searches inside the
 * covered entity for treatment, 1 in 200 a disclosure to a client outside it, half of those accountable), beside
 * other patients' events, stored as the audit trail stores them (storedDocumentOf with the server's indexer, the
 * disclosure key); then `GET Patient/[id]/$disclosures` (system and patient tokens) and `$access-report` timed over
 * HTTP against the real server in this process (embedded engine on its worker thread), and the plan of the
 * accounting's AuditEvent query explained.
 *
 * Run alone:  npm run build && node dist/bench/disclosures.js [--quick] [--events=100000] [--runs=9]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import pino from 'pino';
import { buildAuditEvent } from '../src/audit/balp';
import type { AuditInput } from '../src/audit/audit-input';
import { disclosureKey } from '../src/audit/disclosure-shape';
import { markServerEvent } from '../src/audit/origin';
import { loadConfig } from '../src/config';
import { startServer } from '../src/server';
import { defaultServices } from '../src/services';
import { AuditCollection, disclosuresOf } from '../src/store/audit-collection';
import { type StoredDocument, storedDocumentOf } from '../src/store/stored-document';

const ISSUER = 'https://issuer.bench.example/realms/ehr';
const PATIENT = 'bench-patient';
const YEAR_MS = 365.25 * 24 * 3600_000;

export interface DisclosureBenchOptions {
  quick?: boolean;
  /** The patient's events (default 100,000). */
  events?: number;
  /** Timed requests per figure (default 9). */
  runs?: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const round = (ms: number) => Math.round(ms * 10) / 10;

/** One event of the bench: every 200th a disclosure to the law firm (HLEGAL: listed) or an outside hospital (TREAT: not). */
function input(i: number, patient: string): AuditInput {
  const disclosure = i % 200 === 0;
  const accountable = i % 400 === 0;
  return {
    interaction: i % 3 === 0 ? 'search' : 'read',
    resourceType: 'Observation',
    id: i % 3 === 0 ? undefined : `obs-${i % 500}`,
    resources: [`Observation/obs-${i % 500}`],
    query: i % 3 === 0 ? `patient=${patient}&code=8867-4` : undefined,
    patientIds: [patient],
    status: 200,
    remoteAddress: '10.0.0.7',
    policy: disclosure
      ? {
          clientId: accountable ? 'law-app' : 'hospital-app',
          purposeOfUse: [accountable ? 'HLEGAL' : 'TREAT'],
          recipient: { name: accountable ? 'Smith & Jones LLP' : 'Riverside Hospital', outsideCoveredEntity: true },
          unrestricted: false,
        }
      : { clientId: 'ehr', user: `Practitioner/dr-${i % 40}`, purposeOfUse: ['TREAT'], unrestricted: false },
  };
}

/** Stores `count` events of `patient`, recorded over the last five years, directly in the AuditEvent collection. */
async function storeEvents(server: Awaited<ReturnType<typeof startServer>>, index: (e: never) => unknown, patient: string, count: number, offset: number) {
  const collection = server.store.db.collection<StoredDocument>(AuditCollection.TYPE);
  const source = { sourceName: 'fhirstone@bench', baseUrl: server.baseUrl };
  const now = Date.now();
  let batch: StoredDocument[] = [];
  for (let i = 0; i < count; i++) {
    const recorded = new Date(now - 5 * YEAR_MS + (i / count) * 5 * YEAR_MS);
    const id = `bench-${String(offset + i).padStart(9, '0')}`;
    const built = markServerEvent(buildAuditEvent(input(i, patient), source, recorded));
    const event = { ...built, id, meta: { ...built.meta, versionId: '1', lastUpdated: recorded.toISOString() } };
    const doc = storedDocumentOf(id, 1, recorded, event, index(event as never) as never);
    const d = disclosureKey(event);
    batch.push(d ? { ...doc, d } : doc);
    if (batch.length === 1000) {
      await collection.insertMany(batch, { ordered: false });
      batch = [];
    }
  }
  if (batch.length) await collection.insertMany(batch, { ordered: false });
}

async function timed(runs: number, fn: () => Promise<unknown>): Promise<{ medianMs: number; p90Ms: number; maxMs: number }> {
  const ms: number[] = [];
  await fn(); // warm
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: round(percentile(ms, 0.5)), p90Ms: round(percentile(ms, 0.9)), maxMs: round(ms[ms.length - 1]) };
}

export async function benchDisclosures(opts: DisclosureBenchOptions = {}): Promise<Record<string, unknown>> {
  const events = opts.events ?? (opts.quick ? 20_000 : 100_000);
  const runs = opts.runs ?? (opts.quick ? 3 : 9);
  const work = mkdtempSync(path.join(os.tmpdir(), 'fhirstone-bench-disclosures-'));
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const jwks = path.join(work, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES384', use: 'sig' }] }));
  const env = { SMART_ISSUER: ISSUER, SMART_JWKS_URI: pathToFileURL(jwks).href, SMART_TOKEN_ENDPOINT: `${ISSUER}/token`, SMART_TOKEN_LIFETIME: '300' };
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', MONGODB_URI: '', DATA_DIR: path.join(work, 'data'), ...env });
  const services = await defaultServices(config, { ...process.env, ...env });
  const server = await startServer(config, services, { inMemory: true, logger: pino({ level: 'silent' }) });
  try {
    const token = (claims: Record<string, unknown>) =>
      new SignJWT({ client_id: 'bench', jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'ES384', kid: 'bench' })
        .setIssuer(ISSUER)
        .setAudience(server.baseUrl)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);
    const system = await token({ scope: 'system/*.*' });
    const patient = await token({ scope: 'patient/*.rs', patient: PATIENT });
    const get = async (bearer: string, p: string) => {
      const res = await fetch(`${server.baseUrl}/${p}`, { headers: { authorization: `Bearer ${bearer}`, accept: 'application/fhir+json' } }).catch((err: Error) => {
        throw new Error(`GET ${p}: ${err.message} (${String((err.cause as Error | undefined)?.message ?? err.cause)})`, { cause: err });
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as { entry?: unknown[]; parameter?: unknown[] };
    };
    const put = await fetch(`${server.baseUrl}/Patient/${PATIENT}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${system}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', id: PATIENT, name: [{ family: 'Bench' }] }),
    });
    if (put.status >= 300) throw new Error(`PUT Patient: ${put.status}`);
    await server.store.ensureType(AuditCollection.TYPE);
    const started = Date.now();
    await storeEvents(server, services.index as never, PATIENT, events, 0);
    await storeEvents(server, services.index as never, 'other-patient', Math.round(events / 5), events);
    const storeSeconds = (Date.now() - started) / 1000;

    const accounting = await get(system, `Patient/${PATIENT}/$disclosures`);
    const listed = (accounting.entry?.length ?? 1) - 1;
    const plan = (await server.store.db
      .collection<StoredDocument>(AuditCollection.TYPE)
      .find(disclosuresOf([`Patient/${PATIENT}`], { start: new Date(Date.now() - 6 * YEAR_MS), end: new Date() }))
      .explain()) as { queryPlanner?: { winningPlan?: unknown } };
    const accountingSystemToken = await timed(runs, () => get(system, `Patient/${PATIENT}/$disclosures`));
    const accountingPatientToken = await timed(runs, () => get(patient, `Patient/${PATIENT}/$disclosures`));
    const accountingHtml = await timed(runs, () =>
      fetch(`${server.baseUrl}/Patient/${PATIENT}/$disclosures?_format=html`, { headers: { authorization: `Bearer ${system}` } }).then((r) => r.text()),
    );
    const accessReportOneMonth = await timed(runs, () =>
      get(system, `Patient/${PATIENT}/$access-report?start=${new Date(Date.now() - 30 * 24 * 3600_000).toISOString().slice(0, 10)}`),
    );
    // Last: the whole history's report is large (one access entry per event), read once.
    const t = process.hrtime.bigint();
    const report = await get(system, `Patient/${PATIENT}/$access-report`);
    const accessReportMs = round(Number(process.hrtime.bigint() - t) / 1e6);
    return {
      events,
      otherPatientsEvents: Math.round(events / 5),
      disclosureEvents: events / 200,
      listed,
      storeSeconds: Math.round(storeSeconds * 10) / 10,
      accountingPlan: JSON.stringify(plan.queryPlanner?.winningPlan).match(/"indexName":"([^"]+)"/)?.[1] ?? JSON.stringify(plan.queryPlanner?.winningPlan),
      accountingSystemToken,
      accountingPatientToken,
      accountingHtml,
      accessReportOneMonth,
      accessReportWhole: { ms: accessReportMs, accessors: (report.parameter?.length ?? 4) - 4 },
    };
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, events: { type: 'string' }, runs: { type: 'string' } } });
  benchDisclosures({ quick: values.quick, events: values.events ? Number(values.events) : undefined, runs: values.runs ? Number(values.runs) : undefined }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
