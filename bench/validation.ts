/**
 * Validation bench: start-up cost (profile folders, R4 definitions, JSON schema compile per type) and the time to
 * validate one resource through every layer, for the official R4 examples, the US Core examples and, when
 * ../shared is present, the Synthea US Core export. Reports wall and CPU time (CPU is steadier on a busy machine).
 *
 * Run alone:  npm run build && node dist/bench/validation.js [--quick]
 * Writes bench/results/validation.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkResource, Conformance, warmUp } from '../src/validation';

const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');
const R4 = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
const US_CORE = path.join(ROOT, 'test/validation/fixtures/us-core');
const SYNTHEA = path.resolve(ROOT, '../shared/data/synthea-uscore-ndjson');
const TYPES = ['Patient', 'Encounter', 'Condition', 'DocumentReference', 'AuditEvent'];

function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

function readSet(quick: boolean): Record<string, unknown[]> {
  const sets: Record<string, unknown[]> = {};
  const json = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as unknown;
  sets['r4-examples'] = fs
    .readdirSync(R4)
    .filter((f) => TYPES.some((t) => f.startsWith(`${t}-`)))
    .map((f) => json(path.join(R4, f)));
  sets['us-core-examples'] = fs.readdirSync(US_CORE).map((f) => json(path.join(US_CORE, f)));
  if (fs.existsSync(SYNTHEA)) {
    for (const type of ['Patient', 'Encounter', 'Condition', 'DocumentReference']) {
      const file = fs.readdirSync(SYNTHEA).find((f) => f.startsWith(`${type}.`));
      if (!file) continue;
      const lines = fs.readFileSync(path.join(SYNTHEA, file), 'utf8').split('\n').filter(Boolean);
      sets[`synthea-${type}`] = lines.slice(0, quick ? 100 : lines.length).map((l) => JSON.parse(l) as unknown);
    }
  }
  return sets;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function perResource(conformance: Conformance, resources: unknown[], rounds: number) {
  const opts = { referenceExists: async () => true, storedTypes: () => true };
  for (const r of resources) await checkResource(conformance, r, opts); // compile what this set needs
  const samples: number[] = [];
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (let round = 0; round < rounds; round++) {
    for (const r of resources) {
      const t = performance.now();
      await checkResource(conformance, r, opts);
      samples.push((performance.now() - t) * 1000);
    }
  }
  const wall = (performance.now() - wallStart) * 1000;
  const cpu = process.cpuUsage(cpuStart);
  samples.sort((a, b) => a - b);
  const n = samples.length;
  return {
    resources: resources.length,
    validations: n,
    median_us: Math.round(percentile(samples, 0.5)),
    p95_us: Math.round(percentile(samples, 0.95)),
    mean_wall_us: Math.round(wall / n),
    mean_cpu_us: Math.round((cpu.user + cpu.system) / n),
  };
}

/** The validation figures (also the `validation` phase of `npm run bench`); writes bench/results/validation.json. */
export async function benchValidation({ quick = false }: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const startup: Record<string, number> = {};
  const loaded = timed(() => new Conformance());
  const conformance = loaded.value;
  startup.load_profiles_ms = loaded.ms;
  startup.r4_definitions_ms = warmUp(conformance);
  for (const t of TYPES) {
    startup[`first_${t}_ms`] = await (async () => {
      const s = performance.now();
      await checkResource(conformance, { resourceType: t });
      return performance.now() - s;
    })();
  }
  const sets = readSet(quick);
  const rows: Record<string, unknown> = {};
  for (const [name, resources] of Object.entries(sets)) {
    rows[name] = await perResource(conformance, resources, quick ? 2 : Math.max(2, Math.ceil(3000 / resources.length)));
  }
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    load_average: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(1))),
    startup: Object.fromEntries(Object.entries(startup).map(([k, v]) => [k, Math.round(v)])),
    per_resource: rows,
  };
  const out = path.join(ROOT, 'bench/results/validation.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  return result;
}

if (require.main === module) {
  benchValidation({ quick: process.argv.includes('--quick') }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
