import type { BundleEntry } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import type { HttpMethod } from '../router/types';
import { isJsonObject } from '../fhir/json';

/** Bundle.entry.request.method: the HTTPVerb codes of R4 (case-sensitive codes). */
export const ENTRY_METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']);

const STRING_HEADERS = ['ifNoneMatch', 'ifModifiedSince', 'ifMatch', 'ifNoneExist'] as const;

/**
 * Checks the shape of one transaction/batch entry before anything reads it: 400 naming the entry and the element
 * (`Bundle.entry[2].request.method`). Everything past this point may trust the types of fhir/r4's BundleEntry.
 */
export function checkEntryShape(entry: unknown, index: number): asserts entry is BundleEntry {
  const at = `Bundle.entry[${index}]`;
  const fail = (element: string, problem: string): never => {
    throw badRequest(`${at}${element} ${problem}`, `${at}${element}`);
  };
  if (!isJsonObject(entry)) return fail('', 'must be an object');
  if (entry.fullUrl !== undefined && typeof entry.fullUrl !== 'string') fail('.fullUrl', 'must be a string');
  const resource = entry.resource;
  if (resource !== undefined) {
    if (!isJsonObject(resource)) fail('.resource', 'must be a resource (a JSON object)');
    else if (typeof resource.resourceType !== 'string') fail('.resource.resourceType', 'must be a string');
  }
  const r = entry.request;
  if (!isJsonObject(r)) return fail('.request', 'is required: an object with method and url');
  if (typeof r.method !== 'string' || !ENTRY_METHODS.has(r.method)) {
    const got = typeof r.method === 'string' ? `, not "${r.method.slice(0, 40)}"` : '';
    fail('.request.method', `must be one of ${[...ENTRY_METHODS].join(', ')}${got}`);
  }
  if (typeof r.url !== 'string' || r.url === '') fail('.request.url', 'must be a non-empty string');
  for (const name of STRING_HEADERS) {
    if (r[name] !== undefined && typeof r[name] !== 'string') fail(`.request.${name}`, 'must be a string');
  }
  if (typeof r.ifModifiedSince === 'string' && Number.isNaN(Date.parse(r.ifModifiedSince))) {
    fail('.request.ifModifiedSince', 'must be an instant');
  }
  if (r.method === 'PATCH' && isJsonObject(resource) && resource.resourceType === 'Binary' && typeof resource.data !== 'string') {
    fail('.resource.data', 'must hold the base64 JSON Patch document');
  }
}

/** Checks every entry of a transaction, which fails as a whole on the first malformed one. */
export function checkEntryShapes(entries: unknown[]): BundleEntry[] {
  entries.forEach((entry, index) => checkEntryShape(entry, index));
  return entries as BundleEntry[];
}

/** The resourceType of an entry's resource, if the entry has that shape (for work done before entries are checked). */
export function entryResourceType(entry: unknown): string | undefined {
  const type = isJsonObject(entry) && isJsonObject(entry.resource) ? entry.resource.resourceType : undefined;
  return typeof type === 'string' ? type : undefined;
}
