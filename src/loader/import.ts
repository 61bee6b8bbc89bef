import { pathToFileURL } from 'node:url';
import type { CapabilityStatement, OperationOutcome } from 'fhir/r4';
import type { InputFile } from './inputs';
import type { Failure } from './load';
import { silentProgress, type Progress } from './progress';
import type { ResumeState } from './resume-state';

/** Does the server list the system operation `import` (`POST [base]/$import`) in its CapabilityStatement? */
export async function offersImport(baseUrl: string, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/metadata`, { headers: { accept: 'application/fhir+json', ...headers } });
    if (!res.ok) return false;
    const cs = (await res.json()) as CapabilityStatement;
    return (cs.rest ?? []).some((r) => (r.operation ?? []).some((o) => o.name === 'import'));
  } catch {
    return false;
  }
}

export interface ImportFilesOptions {
  baseUrl: string;
  /** NDJSON files, named to the server by their absolute paths as `file:` URLs. */
  inputs: InputFile[];
  headers?: Record<string, string>;
  progress?: Progress;
  /** Files imported without a failure are marked done, as a bundle load marks them. */
  state?: ResumeState;
  pollMs?: number;
}

export type ImportOutcome =
  /** The kick-off answered 400 (typically: the files are not under the server's IMPORT_DIR); nothing was imported. */
  { kind: 'refused'; reason: string } | { kind: 'done'; resources: number; failures: Failure[] };

interface Manifest {
  output?: Array<{ url: string }>;
  error?: Array<{ url: string }>;
}

const diagnosticsOf = (oo: OperationOutcome | undefined) => (oo?.issue ?? []).map((i) => i.diagnostics ?? i.code).join('; ');

async function ndjsonLines(url: string, headers: Record<string, string>): Promise<OperationOutcome[]> {
  const res = await fetch(url, { headers: { accept: 'application/fhir+ndjson', ...headers } });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.text())
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as OperationOutcome);
}

/**
 * An error line of the manifest (`<url> line <n>: <message>`, or `<url>: <message>` for a whole file) as the loader's
 * failure in that file.
 */
function failureOf(diagnostics: string, byUrl: Map<string, InputFile>): Failure {
  for (const [url, input] of byUrl) {
    const m = diagnostics.startsWith(url) ? /^ line (\d+): ([\s\S]*)$|^: ([\s\S]*)$/.exec(diagnostics.slice(url.length)) : null;
    if (m) return m[1] ? { file: input.path, line: Number(m[1]), status: 0, diagnostics: m[2] } : { file: input.path, status: 0, diagnostics: m[3] };
  }
  return { file: '$import', status: 0, diagnostics };
}

/**
 * Imports NDJSON files through the server's `$import`: kick-off, polls of the status URL moving the progress bar
 * (X-Progress: resources imported, the file being read), then the manifest's error file as failures by file and
 * line. A kick-off answered 400 is `refused`: the caller sends the files as bundles instead.
 */
export async function importFiles(opts: ImportFilesOptions): Promise<ImportOutcome> {
  const headers = opts.headers ?? {};
  const progress = opts.progress ?? silentProgress;
  const urls = opts.inputs.map((i) => pathToFileURL(i.path).href);
  const byUrl = new Map(urls.map((u, i) => [u, opts.inputs[i]]));
  const kick = await fetch(`${opts.baseUrl}/$import`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', prefer: 'respond-async', ...headers },
    body: JSON.stringify({
      resourceType: 'Parameters',
      parameter: [
        { name: 'inputFormat', valueCode: 'application/fhir+ndjson' },
        ...opts.inputs.map((input, i) => ({
          name: 'input',
          part: [
            { name: 'type', valueCode: input.path.split(/[\\/]/).pop()!.split('.')[0] },
            { name: 'url', valueUri: urls[i] },
          ],
        })),
      ],
    }),
  });
  const wholeFailure = (status: number, diagnostics: string): ImportOutcome => ({
    kind: 'done',
    resources: 0,
    failures: opts.inputs.map((i) => ({ file: i.path, status, diagnostics })),
  });
  if (kick.status === 400) return { kind: 'refused', reason: diagnosticsOf((await kick.json().catch(() => undefined)) as OperationOutcome | undefined) };
  if (kick.status !== 202)
    return wholeFailure(kick.status, `$import answered ${kick.status}: ${diagnosticsOf((await kick.json().catch(() => undefined)) as OperationOutcome)}`);
  const status = kick.headers.get('content-location') as string;

  // The server reads the files in the loader's order (inputs.ts): the file it is on tells the bytes done.
  const total = opts.inputs.reduce((n, i) => n + i.size, 0);
  let [bytesShown, resourcesShown] = [0, 0];
  const show = (bytes: number, resources: number) => {
    progress.advance(Math.max(0, bytes - bytesShown), Math.max(0, resources - resourcesShown));
    [bytesShown, resourcesShown] = [Math.max(bytes, bytesShown), Math.max(resources, resourcesShown)];
  };
  progress.start(total);
  let manifest: Manifest;
  try {
    for (;;) {
      const res = await fetch(status, { headers: { accept: 'application/json', ...headers } });
      if (res.status === 200) {
        manifest = (await res.json()) as Manifest;
        break;
      }
      if (res.status !== 202) return wholeFailure(res.status, `the import failed: ${diagnosticsOf((await res.json().catch(() => undefined)) as OperationOutcome)}`);
      await res.arrayBuffer();
      const text = res.headers.get('x-progress') ?? '';
      const file = Number(/file (\d+) of/.exec(text)?.[1] ?? (/resolving/.test(text) ? opts.inputs.length + 1 : 1));
      show(
        opts.inputs.slice(0, file - 1).reduce((n, i) => n + i.size, 0),
        Number(/(\d+) resources imported/.exec(text)?.[1] ?? 0),
      );
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
    // One summary per input, in the order given: "<url>: N <type> resources imported, M lines not imported".
    const summaries = (await Promise.all((manifest.output ?? []).map((o) => ndjsonLines(o.url, headers)))).flat();
    const resources = summaries.reduce((n, oo) => n + Number(/: (\d+) \S+ resources imported/.exec(diagnosticsOf(oo))?.[1] ?? 0), 0);
    show(total, resources);
    const errors = (await Promise.all((manifest.error ?? []).map((o) => ndjsonLines(o.url, headers)))).flat();
    const failures = errors.map((oo) => failureOf(diagnosticsOf(oo), byUrl));
    for (const input of opts.inputs) if (!failures.some((f) => f.file === input.path)) await opts.state?.markDone(input);
    return { kind: 'done', resources, failures };
  } finally {
    progress.stop();
  }
}
