import { createReadStream, realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { badRequest } from '../errors/operation-outcome-error';

/** Where `$import` may read from, and how much (IMPORT_* environment variables, README "Configuration"). */
export interface ImportSourceConfig {
  /** Files under this folder (IMPORT_DIR); undefined: no local file may be imported. */
  dir?: string;
  /** http(s) URLs starting with one of these (IMPORT_URL_PREFIXES, comma-separated; none by default). */
  urlPrefixes: URL[];
  /** Bytes one input file may have (IMPORT_MAX_FILE_BYTES). */
  maxFileBytes: number;
  /** Time one input file may take to read (IMPORT_FILE_TIMEOUT, milliseconds). */
  fileTimeoutMs: number;
}

/** A source that could not be read (to its end): reported for its input, the import goes on with the next. */
export class SourceError extends Error {}

export type ImportSource = { kind: 'file'; path: string } | { kind: 'http'; url: URL; prefix: URL };

const MAX_REDIRECTS = 5;

/** The URL prefixes of IMPORT_URL_PREFIXES, each an absolute http(s) URL (a path prefix ends at a `/`). */
export function parsePrefixes(text: string | undefined): URL[] {
  return (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      let url: URL;
      try {
        url = new URL(p);
      } catch {
        throw new Error(`IMPORT_URL_PREFIXES: ${p} is not an absolute URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`IMPORT_URL_PREFIXES: ${p} is not an http(s) URL`);
      if (url.username || url.password || url.search || url.hash) throw new Error(`IMPORT_URL_PREFIXES: ${p} must not carry credentials, a query or a fragment`);
      return url;
    });
}

/**
 * Is `url` under `prefix`: same scheme, host and port, and a path that continues the prefix's at a segment
 * boundary (`https://files/exports` admits `/exports/a.ndjson`, not `/exports-old/a.ndjson`)?
 */
function isUnder(url: URL, prefix: URL): boolean {
  if (url.origin !== prefix.origin) return false;
  const base = prefix.pathname.endsWith('/') ? prefix.pathname : `${prefix.pathname}/`;
  return url.pathname === prefix.pathname || url.pathname.startsWith(base);
}

function insideDir(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Where an input `url` of a `$import` may be read from, or 400: a `file:` URL or a path (relative to IMPORT_DIR)
 * naming a file under IMPORT_DIR, or an http(s) URL under one of IMPORT_URL_PREFIXES. Nothing else: the server
 * must not become a way to read its own disk or probe the network it sits in.
 */
export function checkSource(config: ImportSourceConfig, text: string): ImportSource {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
    if (url.username || url.password) throw badRequest(`Input ${text}: URLs with credentials are not fetched`, 'input.url');
    const prefix = config.urlPrefixes.find((p) => isUnder(url, p));
    if (!prefix) throw badRequest(`Input ${text} is not under any of the URL prefixes this server imports from (IMPORT_URL_PREFIXES)`, 'input.url');
    return { kind: 'http', url, prefix };
  }
  if (url && url.protocol !== 'file:') throw badRequest(`Input ${text}: only file, http and https inputs are imported`, 'input.url');
  if (!config.dir) throw badRequest(`Input ${text}: this server imports no local files (IMPORT_DIR is not set)`, 'input.url');
  const file = url ? fileURLToPath(url) : path.resolve(config.dir, text);
  // Named under the folder or under its real path; a symlink inside it that leads out is refused when opened.
  if (!insideDir(config.dir, file) && !insideDir(realpathSync(config.dir), file)) {
    throw badRequest(`Input ${text} is not a file under the import folder (IMPORT_DIR)`, 'input.url');
  }
  return { kind: 'file', path: file };
}

/**
 * Addresses an import may connect to: public unicast ones, and a non-public one (loopback, private, link-local,
 * ...) only when the matching prefix names it: its host is that address, or `localhost` for a loopback address.
 * Checked on the addresses the name resolves to, at connect time, so a name that resolves elsewhere later
 * (DNS rebinding) is checked again.
 */
export function mayConnect(address: string, prefix: URL): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  if (ip.range() === 'unicast') return true;
  const host = prefix.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host) && ipaddr.process(host).toString() === ip.toString()) return true;
  return host === 'localhost' && ip.range() === 'loopback';
}

function guardedLookup(prefix: URL): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as Array<{ address: string; family: number }>;
      const refused = list.find((a) => !mayConnect(a.address, prefix));
      if (refused || list.length === 0) {
        return callback(Object.assign(new Error(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which imports may not reach`), { code: 'EACCES' }), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** Counts bytes through, failing once more than `max` have passed. */
function capped(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) done(new SourceError(`${what} is larger than ${max} bytes (IMPORT_MAX_FILE_MB)`));
      else done(null, chunk);
    },
  });
}

function get(url: URL, prefix: URL, signal: AbortSignal): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { lookup: guardedLookup(prefix), signal, headers: { accept: 'application/fhir+ndjson, application/ndjson, */*' } }, resolve);
    req.once('error', reject);
  });
}

/** GET with redirects followed by hand, each hop checked against the prefixes and the address rule again. */
async function fetchChecked(config: ImportSourceConfig, source: Extract<ImportSource, { kind: 'http' }>, signal: AbortSignal): Promise<Readable> {
  let { url, prefix } = source;
  for (let hop = 0; ; hop++) {
    const res = await get(url, prefix, signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new Error(`${source.url.href}: more than ${MAX_REDIRECTS} redirects`);
      const next = checkSource(config, new URL(res.headers.location, url).href);
      if (next.kind !== 'http') throw new Error(`${source.url.href} redirects to a local file, which is not followed`);
      ({ url, prefix } = next);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new Error(`${url.href} answered ${status}`);
    }
    return res;
  }
}

/**
 * The bytes of one input, capped in size and time (the stream fails past either cap). A file must still be
 * under IMPORT_DIR once symlinks are followed.
 */
export async function openSource(config: ImportSourceConfig, source: ImportSource, jobSignal: AbortSignal): Promise<Readable> {
  const signal = AbortSignal.any([jobSignal, AbortSignal.timeout(config.fileTimeoutMs)]);
  const name = source.kind === 'file' ? path.basename(source.path) : source.url.href;
  let raw: Readable;
  if (source.kind === 'file') {
    const real = await realpath(source.path);
    if (!config.dir || !insideDir(await realpath(config.dir), real)) throw new Error(`${name} leads outside the import folder`);
    raw = createReadStream(real, { signal });
  } else {
    raw = await fetchChecked(config, source, signal);
    signal.addEventListener('abort', () => raw.destroy(new SourceError(`${name}: not read within ${config.fileTimeoutMs} ms (IMPORT_FILE_TIMEOUT)`)), {
      once: true,
    });
  }
  const out = capped(config.maxFileBytes, name);
  raw.once('error', (err) => out.destroy(err instanceof SourceError ? err : new SourceError(`${name}: ${err.message}`)));
  out.once('error', () => raw.destroy());
  return raw.pipe(out);
}
