import type { Bundle, FhirResource, Parameters, ParametersParameter, Reference, Resource } from 'fhir/r4';
import { nameText, referenceText } from './format';
import { FhirError, outcomeMessage } from './outcome';
import { authorization, endSession } from '../auth/session';

/** The FHIR API of the server that serves the console: every page goes through it, with the user's token. */
export const FHIR_BASE = '/fhir';

async function failure(res: Response): Promise<FhirError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  return new FhirError(res.status, outcomeMessage(res.status, body));
}

/** A request to the API (a path below the base, or a URL the server gave); throws a FhirError when it fails. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const url = /^https?:/.test(path) || path.startsWith('/') ? path : `${FHIR_BASE}/${path}`;
  const headers = new Headers(init.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/fhir+json');
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/fhir+json');
  const auth = authorization();
  if (auth) headers.set('authorization', auth);
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers });
  } catch {
    throw new FhirError(0, 'The server cannot be reached');
  }
  // No token the server takes (expired, or its issuer's keys changed): the user signs in again. Protected mode
  // never answers 401.
  if (res.status === 401) endSession('Your sign-in has expired or was refused: sign in again.');
  if (!res.ok) throw await failure(res);
  return res;
}

export async function fhir<T = Resource>(path: string, init?: RequestInit): Promise<T> {
  return (await request(path, init)).json() as Promise<T>;
}

/** The resources of a search Bundle (matches only, not `_include`d ones unless asked). */
export function resources<T extends FhirResource>(bundle: Bundle | undefined, type?: T['resourceType']): T[] {
  return (bundle?.entry ?? []).map((e) => e.resource).filter((r): r is T => r !== undefined && (type === undefined || r.resourceType === type));
}

/** Display names of the people and organizations a search Bundle carries (`_include`d), by reference. */
export function includedNames(bundle: Bundle | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of resources<FhirResource>(bundle)) {
    if (r.resourceType === 'Patient' || r.resourceType === 'Practitioner' || r.resourceType === 'RelatedPerson') out.set(`${r.resourceType}/${r.id}`, nameText(r.name));
    else if (r.resourceType === 'Organization' || r.resourceType === 'Location') out.set(`${r.resourceType}/${r.id}`, r.name ?? r.resourceType);
  }
  return out;
}

/** A reference as the name of what it points to when the Bundle carried it, else as written. */
export const nameOf = (names: Map<string, string>, r: Reference | undefined) => (r?.reference && names.get(r.reference)) || referenceText(r);

/** A Parameters body: strings, decimals, booleans and references by name (undefined ones left out). */
export function parameters(values: Record<string, string | number | boolean | Reference | undefined>): string {
  const parameter: ParametersParameter[] = Object.entries(values).flatMap(([name, v]): ParametersParameter[] => {
    if (v === undefined) return [];
    if (typeof v === 'string') return [{ name, valueString: v }];
    if (typeof v === 'boolean') return [{ name, valueBoolean: v }];
    if (typeof v === 'number') return [{ name, valueDecimal: v }];
    return [{ name, valueReference: v }];
  });
  return JSON.stringify({ resourceType: 'Parameters', parameter } satisfies Parameters);
}

/** The value of a Parameters' parameter (or part) of that name, whatever its type. */
export function paramValue(params: ParametersParameter[] | undefined, name: string): string | number | boolean | undefined {
  const p = params?.find((x) => x.name === name);
  if (!p) return undefined;
  const key = Object.keys(p).find((k) => k.startsWith('value')) as keyof ParametersParameter | undefined;
  const v = key ? p[key] : undefined;
  if (v && typeof v === 'object' && 'reference' in v) return (v as Reference).reference;
  return v as string | number | boolean | undefined;
}

export const nextLink = (bundle: Bundle | undefined) => bundle?.link?.find((l) => l.relation === 'next')?.url;

export const query = (params: Record<string, string | undefined>) =>
  new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')).toString();

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new FhirError(0, 'Cancelled'));
    });
  });

/**
 * An asynchronous operation (the Bulk Data pattern: 202 and a status URL): kicks it off, polls its status with
 * the server's `X-Progress` (and the status URL) passed to `onProgress`, and returns the final answer (a manifest, or the result).
 * Aborting the signal cancels the job on the server (DELETE of its status URL). Without `preferAsync` the server
 * decides (a merge too large for one transaction becomes a job), and a synchronous answer is returned as it is.
 */
export async function runAsync<T>(
  path: string,
  init: RequestInit,
  onProgress: (text: string, statusUrl: string) => void,
  signal?: AbortSignal,
  preferAsync = true,
): Promise<T> {
  const kick = await request(path, preferAsync ? { ...init, headers: { ...init.headers, prefer: 'respond-async' } } : init);
  const status = kick.headers.get('content-location');
  if (kick.status !== 202 || !status) return kick.json() as Promise<T>;
  onProgress('queued', status);
  try {
    for (;;) {
      await sleep(500, signal);
      const res = await request(status);
      if (res.status !== 202) return res.json() as Promise<T>;
      onProgress(res.headers.get('x-progress') ?? 'working', status);
    }
  } catch (err) {
    if (signal?.aborted) await request(status, { method: 'DELETE' }).catch(() => undefined);
    throw err;
  }
}
