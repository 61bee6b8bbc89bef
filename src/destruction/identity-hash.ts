import { createHmac, randomBytes } from 'node:crypto';

/**
 * The certificate lists what was destroyed without keeping it: each identity (`Patient/123`, `Observation/abc`,
 * `Observation/abc/_history/2`) as HMAC-SHA-256 under a salt drawn for the destruction and printed in the
 * certificate, truncated to 128 bits, base64url. Whoever holds an identity can ask whether it was destroyed (compute
 * the hash with each certificate's salt and look it up: `$destruction-check` does); the certificate alone names no
 * one. 128 bits keep a 10,000-record certificate small while a chance collision stays out of reach.
 */
export type IdentityHasher = (identity: string) => string;

export const newSalt = (): string => randomBytes(32).toString('base64url');

export function identityHasher(salt: string): IdentityHasher {
  const key = Buffer.from(salt, 'base64url');
  return (identity) => createHmac('sha256', key).update(identity, 'utf8').digest().subarray(0, 16).toString('base64url');
}
