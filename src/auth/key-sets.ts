import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
} from 'jose';
import { assertPublicKeys } from './signing-key';

/** How long a fetched key set is trusted before it is fetched again, and the minimum gap between fetches. */
const REMOTE_CACHE_MAX_AGE_MS = 10 * 60_000;
const REMOTE_COOLDOWN_MS = 30_000;
const REMOTE_TIMEOUT_MS = 5_000;

/**
 * A key resolver for a JWKS URL. Remote sets are cached by jose and fetched again when a token names a `kid` the
 * cache lacks (key rotation), at most once per cool-down so unknown kids cannot make us hammer the issuer.
 * A `file:` set is re-read when such a kid shows up and the file changed since it was last read.
 */
export function keySetFor(uri: string): JWTVerifyGetKey {
  const url = new URL(uri);
  if (url.protocol === 'file:') return fileKeySet(fileURLToPath(url));
  return createRemoteJWKSet(url, {
    cacheMaxAge: REMOTE_CACHE_MAX_AGE_MS,
    cooldownDuration: REMOTE_COOLDOWN_MS,
    timeoutDuration: REMOTE_TIMEOUT_MS,
  });
}

export function localKeySet(jwks: JSONWebKeySet): JWTVerifyGetKey {
  return createLocalJWKSet(jwks);
}

function fileKeySet(file: string): JWTVerifyGetKey {
  let mtimeMs = -1;
  let current: JWTVerifyGetKey | undefined;
  const load = () => {
    const stat = statSync(file);
    if (current && stat.mtimeMs === mtimeMs) return false;
    const jwks = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(jwks?.keys)) throw new errors.JWKSInvalid(`${file} is not a JWK set`);
    assertPublicKeys(jwks.keys, file);
    current = createLocalJWKSet(jwks);
    mtimeMs = stat.mtimeMs;
    return true;
  };
  return async (header, token) => {
    if (!current) load();
    try {
      return await current!(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey && load()) return current!(header, token);
      throw err;
    }
  };
}
