import path from 'node:path';
import { ConfigError, int as count } from '../config';

/** Bulk export settings, from BULK_EXPORT_* environment variables (documented in README "Configuration"). */
export interface BulkConfig {
  /** Directory for output files; undefined stores them in MongoDB GridFS (shared by every server instance). */
  dir?: string;
  /** How long a job and its files are kept after kick-off completes (BULK_EXPORT_TTL). */
  ttlMs: number;
  /** Resources per NDJSON file before a new file is started (BULK_EXPORT_MAX_LINES). */
  maxLines: number;
  /** How long a worker owns a job without renewing its lease (BULK_EXPORT_LEASE). */
  leaseMs: number;
  /** How often an idle worker looks for queued jobs (BULK_EXPORT_POLL). */
  pollMs: number;
  /** Jobs one server instance runs at the same time (BULK_EXPORT_CONCURRENCY). */
  concurrency: number;
}

type Env = Record<string, string | undefined>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90` (seconds), `500ms`, `30s`, `15m`, `24h`, `7d`. */
export function duration(env: Env, name: string, fallbackMs: number, minMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const m = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new ConfigError(`${name} must be a duration such as 30s, 15m, 24h or 7d, got "${raw}"`);
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's'];
  if (ms < minMs) throw new ConfigError(`${name} must be at least ${minMs} ms, got "${raw}"`);
  return ms;
}

export function bulkConfigFromEnv(env: Env = process.env): BulkConfig {
  const leaseMs = duration(env, 'BULK_EXPORT_LEASE', 30_000, 100);
  return {
    dir: env.BULK_EXPORT_DIR ? path.resolve(env.BULK_EXPORT_DIR) : undefined,
    ttlMs: duration(env, 'BULK_EXPORT_TTL', 24 * 3_600_000, 1000),
    maxLines: count(env, 'BULK_EXPORT_MAX_LINES', 100_000, 1, 100_000_000),
    leaseMs,
    pollMs: duration(env, 'BULK_EXPORT_POLL', 1000, 10),
    concurrency: count(env, 'BULK_EXPORT_CONCURRENCY', 2, 1, 64),
  };
}
