import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';

/** The key the built-in authorization server signs its access tokens with. */
export interface ServerSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Public part only, as published in the server's JWKS. */
  publicJwk: JWK;
}

export const SIGNING_ALGORITHMS = ['ES384', 'RS384'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export const GENERATED_KEY_FILE = 'smart-signing-key.json';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const;

/**
 * Loads the signing key from `keyFile`, or (no file configured) from the data directory, generating an ES384 key
 * there on first start so that tokens stay valid across restarts. The generated file is created exclusively and
 * readable by the owner only; when two processes start at once, the loser reads the winner's key.
 */
export async function loadSigningKey(keyFile: string | undefined, dataDir: string): Promise<ServerSigningKey> {
  if (keyFile) return importPrivateJwk(readJwkFile(keyFile), keyFile);
  const file = path.join(dataDir, GENERATED_KEY_FILE);
  try {
    return await importPrivateJwk(readJwkFile(file), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = await generateKeyPair('ES384', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'ES384', use: 'sig' };
  jwk.kid = await calculateJwkThumbprint(jwk);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, JSON.stringify(jwk, null, 2), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return importPrivateJwk(readJwkFile(file), file);
  }
  return importPrivateJwk(jwk, file);
}

function readJwkFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`Signing key file ${file} is not JSON (expected a private JWK)`);
  }
}

async function importPrivateJwk(value: unknown, source: string): Promise<ServerSigningKey> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Signing key file ${source} must hold one private JWK object`);
  }
  const jwk = value as JWK;
  const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES384' : jwk.kty === 'RSA' ? 'RS384' : undefined);
  if (!alg || !(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new Error(`Signing key in ${source} must be an ES384 (EC P-384) or RS384 (RSA) key, got alg ${alg}`);
  }
  if (typeof jwk.d !== 'string') throw new Error(`Signing key in ${source} is a public key; a private JWK is needed`);
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK(jwk, alg)) as CryptoKey;
  } catch (err) {
    throw new Error(`Signing key in ${source} cannot be used for ${alg}: ${(err as Error).message}`, { cause: err });
  }
  const publicJwk: JWK = Object.fromEntries(Object.entries(jwk).filter(([k]) => !(PRIVATE_MEMBERS as readonly string[]).includes(k) && k !== 'key_ops' && k !== 'ext'));
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  Object.assign(publicJwk, { kid, alg, use: 'sig' });
  const publicKey = (await importJWK(publicJwk, alg)) as CryptoKey;
  return { kid, alg: alg as SigningAlgorithm, privateKey, publicKey, publicJwk };
}

/** Throws when a JWK set meant to hold public keys carries private key material. */
export function assertPublicKeys(keys: readonly JWK[], source: string): void {
  for (const k of keys) {
    if (PRIVATE_MEMBERS.some((m) => m in k) || k.kty === 'oct') {
      throw new Error(`${source} contains private or symmetric key material; register public keys only`);
    }
  }
}
