import path from 'node:path';
import { R4_RESOURCE_TYPES } from './fhir/resource-types';

/**
 * All configuration, from environment variables, validated once at start-up. Documented in README.md
 * ("Configuration"). Anything invalid stops start-up with a message naming the variable.
 */
export interface Config {
  port: number;
  host: string;
  /**
   * Public base of the FHIR API, no trailing slash, e.g. https://fhir.example.org/fhir. Undefined: derived from the
   * address the server actually listens on (so PORT=0 works).
   */
  baseUrl?: string;
  /** Unset: the embedded engine is started. */
  mongoUri?: string;
  mongoDb: string;
  dataDir: string;
  /** Embedded engine fsync policy. */
  embeddedFsync: 'always' | 'batch' | 'never';
  /** Where the embedded engine runs: its own worker thread (default) or the server's main thread. */
  embeddedThread: 'worker' | 'main';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Maximum request body, bytes. */
  bodyLimit: number;
  /** Largest raw body `POST`/`PUT Binary` takes, bytes (streamed to GridFS, so it may exceed `bodyLimit`). */
  binaryBodyLimit: number;
  /** Inline attachment data (and Binary.data) over this many bytes is moved into GridFS on write. */
  attachmentInlineLimit: number;
  /** Out-of-line Binary bytes a searchset or history Bundle carries as `data`, summed; unset: what a read inlines. */
  binaryBundleDataLimit?: number;
  /** Resource types served; undefined = every R4 type. */
  resourceTypes?: ReadonlySet<string>;
  /** Search paging. */
  defaultPageSize: number;
  maxPageSize: number;
  /** Extra profile folders (besides the bundled profiles/). */
  profilesDirs: string[];
  /** CORS_ORIGINS: '*', the listed origins, or [] for none; undefined: '*' when SMART auth is configured, else none. */
  corsOrigins?: CorsOrigins;
  /** Profiles every resource of a type must conform to, whatever its meta.profile says. */
  enforcedProfiles: Record<string, string[]>;
  /** Folder of ICD-10-CM order files; undefined: the bundled terminology/icd10cm/. */
  icd10cmDir?: string;
  /** ICD-10-CM codings that are not valid on their date of service fail a write (422) instead of warning. */
  icd10cmStrict: boolean;
  /** Prometheus metrics (`GET /metrics`): off, on the API's port (authenticated like the API), or on a port of its own. */
  metrics: { enabled: boolean; port?: number; host: string; storeCommands: boolean };
}

/** Browser origins the API admits through CORS: every origin, or the listed ones (none: CORS off). */
export type CorsOrigins = '*' | readonly string[];

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

function size(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(`${name} must be a size such as 16mb, got "${raw}"`);
  return Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()];
}

function atLeast(n: number, min: number, name: string): number {
  if (n < min) throw new ConfigError(`${name} must be at least ${min} bytes, got ${n}`);
  return n;
}

/** Inline data above 8 MB would put a resource's text near MongoDB's 16 MB document limit (base64 is 4/3 of it). */
function atMost(n: number, max: number, name: string): number {
  if (n > max) throw new ConfigError(`${name} must be at most ${max} bytes, got ${n}`);
  return n;
}

function url(raw: string, name: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name} must be http(s)`);
  return u.toString().replace(/\/+$/, '');
}

/** `*`, `none`, or a comma-separated list of origins (scheme, host and port, nothing else). */
function corsOrigins(raw: string | undefined): CorsOrigins | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (raw.trim() === '*') return '*';
  if (raw.trim() === 'none') return [];
  return raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      let u: URL | undefined;
      try {
        u = new URL(o);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== o) {
        throw new ConfigError(`CORS_ORIGINS lists origins like https://app.example.org (no path, no trailing slash), got "${o}"`);
      }
      return o;
    });
}

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const baseUrl = env.FHIR_BASE_URL ? url(env.FHIR_BASE_URL, 'FHIR_BASE_URL') : undefined;
  if (env.MONGODB_URI !== undefined && env.MONGODB_URI !== '' && !/^mongodb(\+srv)?:\/\//.test(env.MONGODB_URI)) {
    throw new ConfigError('MONGODB_URI must start with mongodb:// or mongodb+srv://');
  }
  const mongoDb = env.MONGODB_DB || 'fhir';
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(mongoDb)) throw new ConfigError(`MONGODB_DB is not a valid database name`);

  let resourceTypes: Set<string> | undefined;
  if (env.FHIR_RESOURCE_TYPES) {
    resourceTypes = new Set(
      env.FHIR_RESOURCE_TYPES.split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    );
    const unknown = [...resourceTypes].filter((t) => !R4_RESOURCE_TYPES.has(t));
    if (unknown.length) throw new ConfigError(`FHIR_RESOURCE_TYPES has unknown R4 types: ${unknown.join(', ')}`);
  }
  const defaultPageSize = int(env, 'SEARCH_DEFAULT_COUNT', 20, 1, 10000);
  const maxPageSize = int(env, 'SEARCH_MAX_COUNT', 1000, 1, 10000);
  if (defaultPageSize > maxPageSize) throw new ConfigError('SEARCH_DEFAULT_COUNT must not exceed SEARCH_MAX_COUNT');

  const enforcedProfiles: Record<string, string[]> = {};
  for (const item of (env.ENFORCE_PROFILES ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^([A-Z][A-Za-z]+)=(\S+)$/.exec(item);
    if (!m || !R4_RESOURCE_TYPES.has(m[1])) throw new ConfigError(`ENFORCE_PROFILES entries are Type=profileUrl, got "${item}"`);
    url(m[2], 'ENFORCE_PROFILES');
    (enforcedProfiles[m[1]] ??= []).push(m[2]);
  }

  return {
    port,
    host,
    baseUrl,
    mongoUri: env.MONGODB_URI || undefined,
    mongoDb,
    dataDir: path.resolve(env.DATA_DIR || './data'),
    embeddedFsync: oneOf(env, 'EMBEDDED_FSYNC', ['always', 'batch', 'never'] as const, 'batch'),
    embeddedThread: oneOf(env, 'EMBEDDED_THREAD', ['worker', 'main'] as const, 'worker'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    bodyLimit: atLeast(size(env, 'BODY_LIMIT', 16 * 1024 ** 2), 1024, 'BODY_LIMIT'),
    binaryBodyLimit: atLeast(size(env, 'BINARY_BODY_LIMIT', 2 * 1024 ** 3), 1024, 'BINARY_BODY_LIMIT'),
    attachmentInlineLimit: atMost(size(env, 'ATTACHMENT_INLINE_LIMIT', 256 * 1024), 8 * 1024 ** 2, 'ATTACHMENT_INLINE_LIMIT'),
    binaryBundleDataLimit: env.BINARY_BUNDLE_DATA_LIMIT ? size(env, 'BINARY_BUNDLE_DATA_LIMIT', 0) : undefined,
    resourceTypes,
    defaultPageSize,
    maxPageSize,
    enforcedProfiles,
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    icd10cmDir: env.ICD10CM_DIR ? path.resolve(env.ICD10CM_DIR) : undefined,
    icd10cmStrict: oneOf(env, 'ICD10CM_STRICT', ['true', 'false'] as const, 'false') === 'true',
    metrics: {
      enabled: oneOf(env, 'METRICS', ['on', 'off'] as const, 'on') === 'on',
      port: env.METRICS_PORT ? int(env, 'METRICS_PORT', 0, 0, 65535) : undefined,
      host: env.METRICS_HOST || '127.0.0.1',
      storeCommands: oneOf(env, 'METRICS_STORE_COMMANDS', ['true', 'false'] as const, 'false') === 'true',
    },
    profilesDirs: (env.PROFILES_DIR ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.resolve(d)),
  };
}
