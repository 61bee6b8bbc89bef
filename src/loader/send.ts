import type { Bundle, OperationOutcome } from 'fhir/r4';

/** One entry (or a whole bundle) the server refused. `entry` is the 0-based Bundle.entry index when known. */
export interface EntryFailure {
  entry?: number;
  status: number;
  diagnostics: string;
}

export interface SendResult {
  status: number;
  /** Entries that succeeded (2xx). */
  stored: number;
  failures: EntryFailure[];
}

function describe(outcome: OperationOutcome | undefined, fallback: string): string {
  const texts = (outcome?.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => i.diagnostics ?? i.details?.text ?? i.code);
  return texts.length ? texts.join('; ') : fallback;
}

/** The entry a transaction's error names: the server writes `Bundle.entry[N]` into the issue's expression. */
function namedEntry(outcome: OperationOutcome | undefined): number | undefined {
  for (const issue of outcome?.issue ?? []) {
    for (const text of [...(issue.expression ?? []), issue.diagnostics ?? '']) {
      const m = /Bundle\.entry\[(\d+)\]/.exec(text);
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

function statusCode(line: string | undefined): number {
  const n = Number.parseInt(line ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/** Reads a transaction-response or batch-response (or the error of a refused bundle) into per-entry failures. */
export function interpretResponse(status: number, body: unknown, entryCount: number): SendResult {
  const resource = body as Bundle | OperationOutcome | undefined;
  if (status < 200 || status >= 300 || resource?.resourceType !== 'Bundle') {
    const outcome = resource?.resourceType === 'OperationOutcome' ? resource : undefined;
    const text = typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${status}`;
    return { status, stored: 0, failures: [{ entry: namedEntry(outcome), status, diagnostics: describe(outcome, text) }] };
  }
  const failures: EntryFailure[] = [];
  let stored = 0;
  (resource.entry ?? []).forEach((e, i) => {
    const s = statusCode(e.response?.status);
    if (s >= 200 && s < 300) stored++;
    else failures.push({ entry: i, status: s, diagnostics: describe(e.response?.outcome as OperationOutcome | undefined, e.response?.status ?? 'no status') });
  });
  const answered = resource.entry?.length ?? 0;
  if (answered < entryCount) {
    failures.push({ status, diagnostics: `the server answered ${answered} of ${entryCount} entries` });
  }
  return { status, stored, failures };
}

/**
 * POSTs a Bundle (object, or the file's own text so it goes exactly as written) to the FHIR base. A network error
 * becomes a failure of the whole bundle rather than an exception, so one refused connection is reported like any
 * other failure.
 */
export async function postBundle(baseUrl: string, body: string, entryCount: number, headers: Record<string, string> = {}): Promise<SendResult> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(baseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', prefer: 'return=minimal', ...headers },
      body,
    });
    text = await res.text();
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return { status: 0, stored: 0, failures: [{ status: 0, diagnostics: `cannot reach ${baseUrl}: ${cause ?? (err as Error).message}` }] };
  }
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's HTML error page): reported as text.
  }
  return interpretResponse(res.status, parsed, entryCount);
}
