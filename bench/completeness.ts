/**
 * Chart completeness bench (issue 22): `$completeness-audit` over a store of the Synthea US Core sample's charts
 * copied up to the number of encounters asked (default 100,000: 83 copies of its 1,215 encounters, with their
 * patients, documents and conditions), against the real server in its own process. Reports the seconds from
 * kick-off to manifest and the server's CPU seconds for a first audit (every Task created) and a second one over
 * the same charts (nothing to write), the Tasks and the report per rule, then `$completeness-summary` over those
 * Tasks and `Encounter/[id]/$completeness` latency.
 *
 * Run alone:  npm run build && node dist/bench/completeness.js [--encounters N] [--cpu-prof]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildInChild } from './lib/build-store';
import { summariseProfile, type ProfileSummary } from './lib/cpu-profile';
import { PROJECT_ROOT, cpuSeconds, startChildServer } from './lib/server-process';
import { USCORE_NDJSON, type UsCoreStore } from './lib/uscore-store';

const SAMPLE_ENCOUNTERS = 1215;

export interface AuditRun {
  secondsToManifest: number;
  serverCpuSeconds?: number;
  encountersPerSecond: number;
  tasksListed: number;
  /** Per rule: evaluated, deficient, delinquent, created, updated, ..., as the audit's report line says. */
  report: Record<string, Record<string, number>>;
  /** Per rule, what the Tasks listed say is missing or wrong (resource ids and code-set dates left out), and how many say it. */
  reasons: Record<string, Record<string, number>>;
  /** Per rule, the Tasks listed by kind of owner: a Practitioner reference, an identifier never resolved, none. */
  owners: Record<string, Record<string, number>>;
}

export interface CompletenessBenchResult {
  store: UsCoreStore;
  encounters: number;
  first: AuditRun;
  second: AuditRun;
  summarySeconds: number;
  openDeficiencies: number;
  encounterCompletenessMs: number;
  /** With --cpu-prof: the server's and the engine's threads over the whole run. */
  profile?: Record<string, ProfileSummary>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TaskLine {
  code: { coding: Array<{ code: string }> };
  description: string;
  owner?: { reference?: string; identifier?: unknown };
}

const bump = (m: Record<string, Record<string, number>>, rule: string, key: string) => {
  const r = (m[rule] ??= {});
  r[key] = (r[key] ?? 0) + 1;
};

/**
 * Why the Tasks were written, per rule: each problem of a Task's description (after the rule's title, `; `
 * between them) with the resource it names and any date taken out, so the same reason on every chart counts once.
 */
function tally(tasks: TaskLine[]): Pick<AuditRun, 'reasons' | 'owners'> {
  const reasons: AuditRun['reasons'] = {};
  const owners: AuditRun['owners'] = {};
  for (const t of tasks) {
    const rule = t.code.coding[0].code;
    const problems = t.description.slice(t.description.indexOf(': ') + 2).split('; ');
    for (const p of problems) bump(reasons, rule, p.replace(/^[A-Za-z]+\/[^:]+: /, '').replace(/\d{4}-\d{2}-\d{2}/g, '<date>'));
    bump(owners, rule, t.owner?.reference ? t.owner.reference.split('/')[0] : t.owner?.identifier ? 'identifier' : 'none');
  }
  return { reasons, owners };
}

/**
 * fetch, sent again once when the connection was closed under it: a kept-alive socket the server closed (its 5 s
 * idle timeout) while this process, busy reading 100,000 Tasks on a loaded machine, had not yet seen it close. The
 * request never reached the server (the first 100k run lost its second audit so: `fetch failed`, nothing in the log).
 */
async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (!code || !['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(code)) throw err;
    return fetch(url, init);
  }
}

async function audit(baseUrl: string, pid: number, encounters: number): Promise<AuditRun> {
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  const kick = await fetchOnce(`${baseUrl}/$completeness-audit`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', prefer: 'respond-async' },
    body: JSON.stringify({ resourceType: 'Parameters' }),
  });
  await kick.arrayBuffer();
  if (kick.status !== 202) throw new Error(`kick-off answered ${kick.status}`);
  const status = kick.headers.get('content-location') as string;
  let manifest: { output: Array<{ type: string; url: string; count: number }> };
  for (;;) {
    const res = await fetch(status, { headers: { accept: 'application/json' } });
    if (res.status === 200) {
      manifest = (await res.json()) as typeof manifest;
      break;
    }
    const text = await res.text();
    if (res.status !== 202) throw new Error(`status answered ${res.status}: ${text}`);
    await sleep(250);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = cpuSeconds(pid);
  const reportFile = manifest.output.find((o) => o.type === 'Parameters');
  const report: AuditRun['report'] = {};
  if (reportFile) {
    const line = JSON.parse((await (await fetch(reportFile.url)).text()).trim()) as {
      parameter: Array<{ part: Array<{ name: string; valueCoding?: { code: string }; valueInteger?: number }> }>;
    };
    for (const p of line.parameter) report[p.part[0].valueCoding!.code] = Object.fromEntries(p.part.slice(1).map((x) => [x.name, x.valueInteger ?? 0]));
  }
  const tasks: TaskLine[] = [];
  for (const o of manifest.output.filter((x) => x.type === 'Task')) {
    for (const l of (await (await fetch(o.url)).text()).split('\n')) if (l) tasks.push(JSON.parse(l) as TaskLine);
  }
  return {
    ...tally(tasks),
    secondsToManifest: Math.round(seconds * 10) / 10,
    serverCpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? Math.round((cpu1 - cpu0) * 10) / 10 : undefined,
    encountersPerSecond: Math.round(encounters / seconds),
    tasksListed: manifest.output.filter((o) => o.type === 'Task').reduce((n, o) => n + o.count, 0),
    report,
  };
}

export async function benchCompleteness(opts: { encounters?: number; cpuProfDir?: string } = {}): Promise<CompletenessBenchResult> {
  const copies = Math.max(1, Math.round((opts.encounters ?? 100_000) / SAMPLE_ENCOUNTERS));
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-completeness-'));
  try {
    const dataDir = path.join(work, 'data');
    const store = await buildInChild<UsCoreStore>('uscore-store.js', dataDir, [String(copies)], 4096);
    const encounters = store.types.Encounter ?? 0;
    // Loading a store of 250k resources takes minutes on a busy machine.
    const server = await startChildServer({ dataDir, env: { BULK_EXPORT_POLL: '100ms' }, maxOldSpaceMb: 8192, cpuProfDir: opts.cpuProfDir, timeoutMs: 900_000 });
    let stopped = false;
    try {
      const first = await audit(server.baseUrl, server.pid, encounters);
      const second = await audit(server.baseUrl, server.pid, encounters);
      const t0 = process.hrtime.bigint();
      const summary = (await (await fetch(`${server.baseUrl}/$completeness-summary`, { headers: { accept: 'application/fhir+json' } })).json()) as {
        parameter: Array<{ name: string; valueInteger?: number }>;
      };
      const summarySeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const ids = readFileSync(path.join(USCORE_NDJSON, 'Encounter.000.ndjson'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .slice(0, 50)
        .map((l) => (JSON.parse(l) as { id: string }).id);
      const t1 = process.hrtime.bigint();
      for (const id of ids) {
        const res = await fetch(`${server.baseUrl}/Encounter/${id}/$completeness`, { headers: { accept: 'application/fhir+json' } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`$completeness answered ${res.status}`);
      }
      const encounterCompletenessMs = Math.round(Number(process.hrtime.bigint() - t1) / 1e6 / ids.length);
      stopped = true;
      const profiles = ((await server.stop()) ?? []).slice(0, 2);
      return {
        profile: profiles.length ? Object.fromEntries(profiles.map((f, i) => [i === 0 ? 'server' : 'engine', summariseProfile(f, PROJECT_ROOT, 15)])) : undefined,
        store: { ...store, seconds: Math.round(store.seconds) },
        encounters,
        first,
        second,
        summarySeconds: Math.round(summarySeconds * 100) / 100,
        openDeficiencies: summary.parameter.find((p) => p.name === 'open')?.valueInteger ?? 0,
        encounterCompletenessMs,
      };
    } finally {
      if (!stopped) await server.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { encounters: { type: 'string' }, 'cpu-prof': { type: 'boolean', default: false } } });
  const cpuProfDir = values['cpu-prof'] ? mkdtempSync(path.join(os.tmpdir(), 'bench-completeness-prof-')) : undefined;
  benchCompleteness({ encounters: values.encounters ? Number(values.encounters) : undefined, cpuProfDir }).then(
    (r) => {
      console.dir(r, { depth: 4 });
      process.stdout.write('', () => process.exit(0));
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
