import path from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_DIR_LOCKED } from '@fhirstone/embedded-mongo';
import { loadConfig, type Config } from '../config';
import type { GroupingType } from './batch-bundle';
import { importFiles, offersImport } from './import';
import { InputError, resolveInputs, type InputFile } from './inputs';
import { loadFiles, type Failure, type LoadSummary } from './load';
import { startLocalServer, type LocalTarget } from './local-server';
import { terminalProgress, silentProgress } from './progress';
import { ResumeState } from './resume-state';

export const LOAD_USAGE = `Usage: fhirstone load [options] <file-or-folder>...

Loads FHIR transaction/batch Bundle files (.json) and NDJSON files (.ndjson, one resource per line) into a server.
Folders are searched recursively. Synthea's hospitalInformation* and practitionerInformation* bundles load first.

Options:
  --url <base>          FHIR base URL (e.g. http://localhost:8080/fhir). Default: start the server in this process
                        on the local store (DATA_DIR, or MONGODB_URI when set).
  --resume              Skip files, and NDJSON line ranges, that an earlier run loaded without failure. Every run
                        records its progress (key: target URL or "local", file path, size and mtime).
  --state <file>        Progress file (default: <DATA_DIR>/load-state.json; DATA_DIR defaults to ./data).
  --batch-size <n>      NDJSON resources per Bundle (default 250).
  --concurrency <n>     Bundles in flight at once (default 2).
  --ndjson-as <type>    batch (default; entries independent) or transaction (all-or-nothing per group; resolves
                        conditional references such as Practitioner?identifier=...).
  --no-import           Send NDJSON files as bundles even when the server offers $import. By default, NDJSON files
                        are imported with $import (file: URLs of their paths) when the server lists it; the server
                        started without --url imports from the inputs' common folder; a server that refuses them
                        (400: not under its IMPORT_DIR) gets them as bundles. --resume skips files an import
                        finished without failure.
  --header <k: v>       Extra request header, repeatable (e.g. "Authorization: Bearer ...").
  --report <file>       Write every failure as JSON to this file.
  --no-progress         No progress bar.
  -h, --help            This text.

Exit status: 0 when everything loaded, 1 when anything failed, 2 on invalid arguments.`;

class UsageError extends Error {}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`--${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

function headersFrom(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`--header must look like "Name: value", got "${h}"`);
    out[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return out;
}

export function formatFailure(f: Failure, cwd = process.cwd()): string {
  const group = f.lines ? `lines ${f.lines[0]}-${f.lines[1]}` : undefined;
  const where = f.line !== undefined ? `line ${f.line}${group ? ` (${group} not stored)` : ''}` : (group ?? (f.entry !== undefined ? `entry ${f.entry}` : 'whole file'));
  return `${path.relative(cwd, f.file) || f.file} ${where}: ${f.status ? `${f.status} ` : ''}${f.diagnostics}`;
}

const SHOWN_FAILURES = 50;

function printSummary(s: LoadSummary, out: NodeJS.WritableStream): void {
  const skipped = s.skippedFiles || s.skippedLines ? ` (resumed: ${s.skippedFiles} files and ${s.skippedLines} NDJSON lines skipped)` : '';
  out.write(`Loaded ${s.resources} resources from ${s.files} files in ${s.seconds.toFixed(1)} s (${Math.round(s.resourcesPerSecond)} resources/s)${skipped}\n`);
  if (!s.failures.length) return;
  out.write(`${s.failures.length} failures:\n`);
  for (const f of s.failures.slice(0, SHOWN_FAILURES)) out.write(`  ${formatFailure(f)}\n`);
  if (s.failures.length > SHOWN_FAILURES) out.write(`  ... and ${s.failures.length - SHOWN_FAILURES} more (--report <file> lists all)\n`);
}

/** `fhirstone load ...`; resolves to the process exit status. */
export async function runLoad(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        resume: { type: 'boolean', default: false },
        state: { type: 'string' },
        'batch-size': { type: 'string' },
        concurrency: { type: 'string' },
        'ndjson-as': { type: 'string' },
        header: { type: 'string', multiple: true },
        report: { type: 'string' },
        'no-progress': { type: 'boolean', default: false },
        'no-import': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    if (values.help) {
      process.stdout.write(`${LOAD_USAGE}\n`);
      return 0;
    }
    const ndjsonAs = values['ndjson-as'] ?? 'batch';
    if (ndjsonAs !== 'batch' && ndjsonAs !== 'transaction') throw new UsageError(`--ndjson-as must be batch or transaction`);
    if (values.url !== undefined && !/^https?:\/\/[^/]/.test(values.url)) throw new UsageError(`--url must be an http(s) URL`);
    const options = {
      batchSize: positiveInt('batch-size', values['batch-size'], 250),
      concurrency: positiveInt('concurrency', values.concurrency, 2),
      ndjsonAs: ndjsonAs as GroupingType,
      headers: headersFrom(values.header),
    };
    const inputs = await resolveInputs(positionals);
    return await execute(inputs, options, values, env);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n\n${LOAD_USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

/** The deepest folder holding every file. */
function commonFolder(files: InputFile[]): string {
  const parts = files.map((f) => path.dirname(f.path).split(path.sep));
  let n = 0;
  while (n < parts[0].length && parts.every((q) => q[n] === parts[0][n])) n++;
  return parts[0].slice(0, n).join(path.sep) || path.sep;
}

/** One line saying why the store could not be opened here, and what to do instead. */
function localStartFailure(err: unknown, config: Config): string {
  const message = err instanceof Error ? err.message : String(err);
  if ((err as { code?: unknown }).code !== DATA_DIR_LOCKED) return `Cannot open the local store: ${message}`;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return (
    `${message}: a server is running on it. Load through that server instead, e.g. ` +
    `fhirstone load --url http://${host}:${config.port}/fhir <files> (npm run load -- --url ...), or stop it first.`
  );
}

async function execute(
  inputs: Awaited<ReturnType<typeof resolveInputs>>,
  options: { batchSize: number; concurrency: number; ndjsonAs: GroupingType; headers: Record<string, string> },
  values: { url?: string; resume?: boolean; state?: string; report?: string; 'no-progress'?: boolean; 'no-import'?: boolean },
  env: Record<string, string | undefined>,
): Promise<number> {
  const config = loadConfig(env);
  const dataDir = config.dataDir;
  let local: LocalTarget | undefined;
  const ndjson = values['no-import'] ? [] : inputs.filter((i) => i.kind === 'ndjson');
  if (values.url === undefined) {
    try {
      // The server started here may read the NDJSON inputs where they are, for $import.
      local = await startLocalServer(ndjson.length ? { ...env, IMPORT_DIR: commonFolder(ndjson) } : env);
    } catch (err) {
      process.stderr.write(`${localStartFailure(err, config)}\n`);
      return 1;
    }
  }
  const baseUrl = values.url?.replace(/\/+$/, '') ?? (local as LocalTarget).baseUrl;
  try {
    // Always recorded, so that a run interrupted without --resume can still be resumed.
    const state = await ResumeState.open(path.resolve(values.state ?? path.join(dataDir, 'load-state.json')), values.url ?? 'local');
    const progress = values['no-progress'] ? silentProgress : terminalProgress();
    const imported = ndjson.length && (await offersImport(baseUrl, options.headers)) ? ndjson : [];
    const started = Date.now();
    const summary = await loadFiles({ baseUrl, inputs: inputs.filter((i) => !imported.includes(i)), state, resume: values.resume, progress, ...options });
    const toImport = imported.filter((i) => !(values.resume && state.isDone(i)));
    summary.files = inputs.length;
    summary.skippedFiles += imported.length - toImport.length;
    if (toImport.length) {
      let outcome = await importFiles({ baseUrl, inputs: toImport, headers: options.headers, progress, state });
      if (outcome.kind === 'refused') {
        process.stderr.write(`The server refused $import (${outcome.reason}); sending the NDJSON files as bundles\n`);
        const sent = await loadFiles({ baseUrl, inputs: toImport, state, resume: values.resume, progress, ...options });
        summary.skippedLines += sent.skippedLines;
        outcome = { kind: 'done', resources: sent.resources, failures: sent.failures };
      }
      const { resources, failures } = outcome;
      summary.resources += resources;
      summary.failures.push(...failures);
      summary.seconds = (Date.now() - started) / 1000;
      summary.resourcesPerSecond = summary.resources / Math.max(summary.seconds, 1e-9);
    }
    printSummary(summary, process.stderr);
    if (values.report) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(values.report, JSON.stringify(summary, null, 2));
    }
    return summary.failures.length ? 1 : 0;
  } finally {
    await local?.close();
  }
}
