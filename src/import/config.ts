import path from 'node:path';
import { ConfigError, int as count } from '../config';
import { duration } from '../bulk/config';
import { parsePrefixes, type ImportSourceConfig } from './sources';

type Env = Record<string, string | undefined>;

/** `$import`'s sources and caps, from IMPORT_* environment variables (README "Configuration"). */
export function importConfigFromEnv(env: Env = process.env): ImportSourceConfig {
  try {
    return {
      dir: env.IMPORT_DIR ? path.resolve(env.IMPORT_DIR) : undefined,
      urlPrefixes: parsePrefixes(env.IMPORT_URL_PREFIXES),
      // Sizes in MB: a migration's files run to gigabytes; the cap stops a runaway source, not a real file.
      maxFileBytes: count(env, 'IMPORT_MAX_FILE_MB', 10_240, 1, 1_048_576) * 1024 * 1024,
      fileTimeoutMs: duration(env, 'IMPORT_FILE_TIMEOUT', 3_600_000, 1000),
    };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError((err as Error).message);
  }
}
