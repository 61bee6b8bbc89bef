import { postBundle } from '../src/loader/send';
import { cpuDuring, msPerUnit } from './lib/server-process';
import { percentile } from './lib/stats';
import { asPutBatches, cloneBundleText, type BundleSet } from './lib/synthea';

export interface IngestResult {
  bundles: number;
  resources: number;
  seconds: number;
  resourcesPerSecond: number;
  /** Per bundle, milliseconds. */
  bundleP50Ms: number;
  bundleP99Ms: number;
  failedBundles: number;
  failedEntries: number;
  firstFailure?: string;
  /** CPU of the server's process (every thread) per stored resource, milliseconds. */
  serverCpuMsPerResource?: number;
}

/**
 * Sends the bodies of each stage, `concurrency` at a time; a stage completes before the next starts. A body that
 * is a list is one sequence: its parts go in order (dependency levels of a batch load).
 */
async function send(baseUrl: string, serverPid: number, stages: Array<Array<string | string[]>>, concurrency: number): Promise<IngestResult> {
  const started = process.hrtime.bigint();
  const latencies: number[] = [];
  const result: IngestResult = { bundles: 0, resources: 0, seconds: 0, resourcesPerSecond: 0, bundleP50Ms: 0, bundleP99Ms: 0, failedBundles: 0, failedEntries: 0 };
  const post = async (body: string) => {
    const t = process.hrtime.bigint();
    const entries = (body.match(/"request"\s*:/g) ?? []).length;
    const r = await postBundle(baseUrl, body, entries);
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    result.bundles++;
    result.resources += r.stored;
    if (r.failures.length) {
      result.failedBundles++;
      result.failedEntries += r.failures.length;
      result.firstFailure ??= `${r.status} ${r.failures[0].diagnostics}`.slice(0, 300);
    }
  };
  const { cpuSeconds } = await cpuDuring(serverPid, async () => {
    for (const stage of stages) {
      let next = 0;
      const worker = async () => {
        while (next < stage.length) {
          const item = stage[next++];
          for (const body of Array.isArray(item) ? item : [item]) await post(body);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    }
  });
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  result.serverCpuMsPerResource = msPerUnit(cpuSeconds, result.resources);
  result.resourcesPerSecond = Math.round(result.resources / result.seconds);
  result.bundleP50Ms = Math.round(percentile(latencies, 50));
  result.bundleP99Ms = Math.round(percentile(latencies, 99));
  return result;
}

export interface IngestOptions {
  baseUrl: string;
  serverPid: number;
  set: BundleSet;
  concurrency: number;
  /** Rounds of cloned patient bundles for the sustained figure. */
  sustainedRounds: number;
}

/**
 * Synthea ingest, `concurrency` bundles in flight:
 * - first load: the transaction bundles as written (hospital and practitioner bundles first) into the fresh store,
 *   which creates every type's collections and indexes and runs while the JIT warms up;
 * - sustained: `sustainedRounds` copies of the patient bundles (new UUIDs: new patients referring to the stored
 *   hospitals and practitioners), as an EHR keeps sending them; the throughput goal applies here;
 * - batch: copies of the patient bundles as batches of PUTs, one batch per dependency level (see asPutBatches).
 */
export async function benchIngest(opts: IngestOptions): Promise<{ transaction: IngestResult; sustained: IngestResult; batch: IngestResult }> {
  const transaction = await send(opts.baseUrl, opts.serverPid, [opts.set.shared, opts.set.patients], opts.concurrency);
  const clones = Array.from({ length: opts.sustainedRounds }, (_, round) => opts.set.patients.map((text, i) => cloneBundleText(text, 0x5e000000 + round * 0x10000 + i)));
  const sustained = await send(opts.baseUrl, opts.serverPid, [clones.flat()], opts.concurrency);
  const batches = opts.set.patients.map((text, i) => asPutBatches(cloneBundleText(text, 0xba000000 + i)).map((b) => JSON.stringify(b)));
  const batch = await send(opts.baseUrl, opts.serverPid, [batches], opts.concurrency);
  return { transaction, sustained, batch };
}
