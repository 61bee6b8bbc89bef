import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type JSONWebKeySet, type JWTVerifyGetKey, createLocalJWKSet, createRemoteJWKSet, errors } from 'jose';
import { assertPublicKeys } from './signing-key';

/** The minimum gap between fetches of a remote set triggered by unknown kids, and the fetch timeout. */
const REMOTE_COOLDOWN_MS = 30_000;
const REMOTE_TIMEOUT_MS = 5_000;

/**
 * A key resolver for a JWKS URL.
 *
 * - A remote set is cached by jose for `cacheMaxAgeMs` and fetched again on the first use after that (so a key the
 *   issuer withdraws stops verifying within that time), and earlier when a token names a `kid` the cache lacks (key
 *   rotation), at most once per cool-down so unknown kids cannot make us hammer the issuer.
 * - A `file:` set is checked on every use (one stat, about 2 µs) and read again when the file changed, so an
 *   operator revokes a key by rewriting the file, with immediate effect.
 */
export function keySetFor(uri: string, cacheMaxAgeMs: number): JWTVerifyGetKey {
  const url = new URL(uri);
  if (url.protocol === 'file:') return fileKeySet(fileURLToPath(url));
  return createRemoteJWKSet(url, {
    cacheMaxAge: cacheMaxAgeMs,
    cooldownDuration: Math.min(REMOTE_COOLDOWN_MS, cacheMaxAgeMs),
    timeoutDuration: REMOTE_TIMEOUT_MS,
  });
}

export function localKeySet(jwks: JSONWebKeySet): JWTVerifyGetKey {
  return createLocalJWKSet(jwks);
}

/**
 * What identifies one version of the file: a rewrite changes the size, mtime or ctime (ctime cannot be set back by
 * tools that preserve mtime), a replacement by rename (how config maps and atomic writers update) the inode.
 */
function versionOf(file: string): string {
  const s = statSync(file);
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

function fileKeySet(file: string): JWTVerifyGetKey {
  let loadedVersion: string | undefined;
  let current: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    // A file that vanished or cannot be parsed (half written) fails closed: the keys it held are not trusted.
    const version = versionOf(file);
    if (version !== loadedVersion) {
      current = undefined;
      const jwks = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
      if (!Array.isArray(jwks?.keys)) throw new errors.JWKSInvalid(`${file} is not a JWK set`);
      assertPublicKeys(jwks.keys, file);
      current = createLocalJWKSet(jwks);
      loadedVersion = version;
    }
    return (current as JWTVerifyGetKey)(header, token);
  };
}
