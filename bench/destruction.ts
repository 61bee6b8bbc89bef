/**
 * Certified destruction bench: the destruction rate (resources per second) of a reviewed list of records, the
 * whole job from approval to its certificate and the compaction of the store's files, against the real server
 * (in this process) on the embedded engine on disk. The store holds `records` eligible records (a Patient, an
 * Encounter that ended in 2001, three Observations and a Condition, each with its history document, as the
 * repository writes them) and a tenth as many records not yet due, written through the driver; the review and
 * approval go over HTTP with two users' tokens, as a records coordinator's would.
 *
 * Run alone:  npm run build && node dist/bench/destruction.js [--records N] [--batch N]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FhirResource as Resource } from 'fhir/r4';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { buildSearchIndex, SearchContext } from '../src/search';
import { startServer } from '../src/server';
import { defaultServices } from '../src/services';
import { withServerMeta } from '../src/store/resource-text';
import { type HistoryDocument, historyDocumentOf, storedDocumentOf, type StoredDocument } from '../src/store/stored-document';

export interface DestructionBenchOptions {
  /** Eligible records (default 10,000). */
  records?: number;
  /** Records per batch (DESTRUCTION_BATCH, default the server's 50). */
  batch?: number;
}

export interface DestructionBenchResult {
  records: number;
  resourcesDestroyed: number;
  versionsDestroyed: number;
  storeResources: number;
  reviewSeconds: number;
  destructionSeconds: number;
  resourcesPerSecond: number;
  recordsPerSecond: number;
  batch: number;
  loadAverage: number[];
}

const ISSUER = 'https://bench.issuer.test/realms/records';

function recordOf(id: string, ended: string): Resource[] {
  const subject = { reference: `Patient/${id}` };
  return [
    { resourceType: 'Patient', id, name: [{ family: `Family${id}`, given: ['Bench'] }], birthDate: '1950-01-01' },
    { resourceType: 'Encounter', id: `enc-${id}`, status: 'finished', class: { code: 'AMB' }, subject, period: { start: ended, end: ended } },
    ...[1, 2, 3].map((n): Resource => ({
      resourceType: 'Observation',
      id: `obs-${id}-${n}`,
      status: 'final',
      code: { text: `reading ${n}` },
      subject,
      valueQuantity: { value: n },
    })),
    { resourceType: 'Condition', id: `cond-${id}`, subject, code: { text: 'hypertension' } },
  ];
}

export async function benchDestruction(opts: DestructionBenchOptions = {}): Promise<DestructionBenchResult> {
  const records = opts.records ?? 10_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fhir-bench-destruction-'));
  const { publicKey, privateKey } = await generateKeyPair('ES384');
  const jwks = path.join(dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES384', use: 'sig' }] }));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATA_DIR: path.join(dir, 'data'),
    MONGODB_URI: '',
    SMART_ISSUER: ISSUER,
    SMART_JWKS_URI: `file://${jwks}`,
    SMART_TOKEN_ENDPOINT: `${ISSUER}/token`,
    BULK_EXPORT_POLL: '100ms',
    ...(opts.batch ? { DESTRUCTION_BATCH: String(opts.batch) } : {}),
  };
  const config = loadConfig(env);
  const server = await startServer(config, await defaultServices(config, { ...process.env, ...env }), { logger: pino({ level: 'warn' }) });
  try {
    // The store, written as the repository writes it: current and history documents, indexed by the search layer.
    const search = new SearchContext({ baseUrl: server.baseUrl });
    const lu = new Date('2024-01-01T00:00:00Z');
    const batches = new Map<string, { current: StoredDocument[]; history: HistoryDocument[] }>();
    let storeResources = 0;
    const flush = async () => {
      for (const [type, b] of batches) {
        await server.store.ensureType(type);
        await server.store.db.collection<StoredDocument>(type).insertMany(b.current);
        await server.store.db.collection<HistoryDocument>(`${type}_history`).insertMany(b.history);
      }
      batches.clear();
    };
    const due = Math.ceil(records / 10);
    for (let i = 0; i < records + due; i++) {
      for (const r of recordOf(`p${i}`, i < records ? '2001-01-01' : '2022-01-01')) {
        const resource = withServerMeta(r, r.id!, 1, lu);
        const doc = storedDocumentOf(r.id!, 1, lu, resource, buildSearchIndex(search, resource));
        const b = batches.get(r.resourceType) ?? { current: [], history: [] };
        b.current.push(doc);
        b.history.push(historyDocumentOf(doc, 'create'));
        batches.set(r.resourceType, b);
        storeResources++;
      }
      if (i % 1000 === 999) await flush();
    }
    await flush();

    const sign = (who: string) =>
      new SignJWT({ scope: 'user/*.*', fhirUser: `Practitioner/${who}`, sub: who, client_id: 'bench', jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES384', kid: 'bench' })
        .setIssuer(ISSUER)
        .setAudience(server.baseUrl)
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey);
    const [alice, bob] = [await sign('alice'), await sign('bob')];
    const call = async (token: string, method: string, url: string, body?: unknown) => {
      const res = await fetch(url.startsWith('http') ? url : `${server.baseUrl}/${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, location: res.headers.get('content-location') ?? '', body: (await res.text()) || undefined };
    };
    const finish = async (token: string, location: string) => {
      for (;;) {
        const res = await call(token, 'GET', location);
        if (res.status !== 202) return JSON.parse(res.body ?? '{}');
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    let started = process.hrtime.bigint();
    const review = await call(alice, 'POST', '$destruction-review', { resourceType: 'Parameters', parameter: [{ name: 'date', valueDate: '2025-01-01' }] });
    await finish(alice, review.location);
    const reviewSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    started = process.hrtime.bigint();
    const approved = await call(bob, 'POST', '$destruction-approve', { resourceType: 'Parameters', parameter: [{ name: 'review', valueUri: review.location }] });
    if (approved.status !== 202) throw new Error(`approval: ${approved.status} ${approved.body}`);
    const manifest = await finish(bob, approved.location);
    const destructionSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    const lines = await (await fetch(manifest.output[0].url, { headers: { authorization: `Bearer ${bob}` } })).text();
    const certificate = (JSON.parse(lines.trim().split('\n').pop()!) as { parameter: Array<{ valueReference: { reference: string } }> }).parameter[0].valueReference
      .reference;
    const system = await sign('auditor');
    const doc = JSON.parse((await call(system, 'GET', certificate)).body!) as { content: Array<{ attachment: { url: string } }> };
    const json = JSON.parse(
      Buffer.from((JSON.parse((await call(system, 'GET', doc.content[1].attachment.url)).body!) as { data: string }).data, 'base64').toString(),
    ) as {
      records: unknown[];
      totals: Record<string, { resources: number; versions: number }>;
    };
    const totals = Object.values(json.totals);
    const resourcesDestroyed = totals.reduce((n, t) => n + t.resources, 0);
    return {
      records: json.records.length,
      resourcesDestroyed,
      versionsDestroyed: totals.reduce((n, t) => n + t.versions, 0),
      storeResources,
      reviewSeconds: Math.round(reviewSeconds * 10) / 10,
      destructionSeconds: Math.round(destructionSeconds * 10) / 10,
      resourcesPerSecond: Math.round(resourcesDestroyed / destructionSeconds),
      recordsPerSecond: Math.round(json.records.length / destructionSeconds),
      batch: opts.batch ?? 50,
      loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { records: { type: 'string' }, batch: { type: 'string' } } });
  benchDestruction({ records: values.records ? Number(values.records) : undefined, batch: values.batch ? Number(values.batch) : undefined })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
}
