import { type CompactJWSHeaderParameters, type JWTPayload, type JWTVerifyGetKey, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { OperationOutcomeError, unauthorized, unavailable } from '../errors/operation-outcome-error';
import { quotedHeaderText } from '../http/header-text';
import type { AccessPolicy } from './access-policy';
import { type AuthConfig, clientRegistration } from './config';
import { throttled } from './failure-throttle';
import { fhirUserProblem } from './fhir-user';
import { keySetFor } from './key-sets';
import { claimedPurposeOfUse } from './purpose-of-use';
import { SmartAccessPolicy } from './smart-policy';
import type { VerifiedToken } from './verified-tokens';

/** Asymmetric algorithms only: `none` and HMAC (which would let anyone holding the public key sign) are refused. */
export const ACCEPTED_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Our own access tokens carry this JOSE `typ` (RFC 9068), so no other JWT signed with our key passes as one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

function externalKeySet(cfg: AuthConfig): JWTVerifyGetKey {
  cfg.state.externalKeys ??= keySetFor(cfg.jwksUri as string, cfg.jwksCacheSeconds * 1000);
  return cfg.state.externalKeys;
}

/** RFC 6750 challenge. The description may quote unverified token content: only header-safe text goes in. */
export function bearerChallenge(cfg: AuthConfig, error?: string, description?: string): string {
  let challenge = `Bearer realm="${quotedHeaderText(cfg.baseUrl)}"`;
  if (error) challenge += `, error="${error}"`;
  if (description) challenge += `, error_description="${quotedHeaderText(description)}"`;
  return challenge;
}

const invalidToken = (cfg: AuthConfig, description: string) => unauthorized(`Invalid access token: ${description}`, bearerChallenge(cfg, 'invalid_token', description));

/**
 * Validates the bearer token of a request and returns what it may do. Tokens are accepted from the external
 * issuer (SMART_ISSUER, keys from SMART_JWKS_URI) and from the built-in authorization server (this server's own
 * key); `iss` decides which keys apply, and the signature then proves `iss`. Throws unauthenticated (with a Bearer
 * challenge) for a missing or invalid token, unavailable when the issuer's keys cannot be fetched, and
 * too-many-requests (with a retry-after), without looking at the token, while `remoteAddress` has failed too often
 * (FailureThrottle).
 */
export async function authenticate(authorizationHeader: string | undefined, cfg: AuthConfig, remoteAddress?: string): Promise<AccessPolicy> {
  const throttle = cfg.state.throttle;
  const attempt = { address: remoteAddress };
  const wait = throttle.retryAfter(attempt);
  if (wait !== undefined) throw throttled(wait);
  // A request without any token (a client discovering that one is needed) is not a failed authentication.
  if (!authorizationHeader) {
    throw unauthorized('This server requires an access token: send "Authorization: Bearer <token>"', bearerChallenge(cfg));
  }
  try {
    return await verifyBearer(authorizationHeader, cfg);
  } catch (err) {
    if (err instanceof OperationOutcomeError && err.category === 'unauthenticated') throttle.failed(attempt);
    throw err;
  }
}

async function verifyBearer(authorizationHeader: string, cfg: AuthConfig): Promise<AccessPolicy> {
  const m = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(authorizationHeader);
  if (!m) throw invalidToken(cfg, 'the Authorization header must be "Bearer <token>"');
  const token = m[1];
  const cache = cfg.state.verifiedTokens;
  const cached = cache.get(token);
  if (cached && (await stillVerifiable(cfg, cached))) return cached.policy;
  if (cached) cache.delete(token);

  let iss: unknown;
  try {
    decodeProtectedHeader(token);
    iss = decodeJwt(token).iss;
  } catch {
    throw invalidToken(cfg, 'not a signed JWT');
  }

  let payload: JWTPayload;
  let header: CompactJWSHeaderParameters | undefined;
  let key: VerifiedToken['key'];
  try {
    if (iss === cfg.ownIssuer && cfg.signingKey) {
      ({ payload } = await jwtVerify(token, cfg.signingKey.publicKey, {
        ...commonOptions(cfg, cfg.ownIssuer),
        algorithms: [cfg.signingKey.alg],
        typ: ACCESS_TOKEN_TYP,
      }));
    } else if (cfg.issuer !== undefined && iss === cfg.issuer) {
      const keys = externalKeySet(cfg);
      ({ payload } = await jwtVerify(
        token,
        async (h, t) => {
          const k = await keys(h, t);
          [header, key] = [h, k];
          return k;
        },
        { ...commonOptions(cfg, cfg.issuer), algorithms: ACCEPTED_TOKEN_ALGORITHMS },
      ));
    } else {
      throw invalidToken(cfg, `issuer ${typeof iss === 'string' ? `"${iss}"` : '(none)'} is not trusted`);
    }
  } catch (err) {
    throw verificationError(cfg, err);
  }
  const userProblem = fhirUserProblem(payload.fhirUser, cfg);
  if (userProblem) throw invalidToken(cfg, userProblem);
  const purpose = claimedPurposeOfUse(payload);
  if ('problem' in purpose) throw invalidToken(cfg, purpose.problem);
  const policy = new SmartAccessPolicy(payload, { purposeOfUse: purpose.codes, registration: (clientId) => clientRegistration(cfg, payload.iss, clientId) });
  cache.set(token, { policy, header, key }, ((payload.exp as number) + cfg.clockToleranceSeconds) * 1000);
  return policy;
}

/**
 * A cached external token stands only while the issuer's key set (re-read when its file changed, fetched again
 * past its cache lifetime) still resolves the token's header to the very key that verified it: a removed key, or
 * any reload, sends the token through full verification again. Our own key does not change while we run.
 */
async function stillVerifiable(cfg: AuthConfig, cached: VerifiedToken): Promise<boolean> {
  if (!cached.header) return true;
  try {
    // Key resolvers choose by the protected header alone (the JWS input matters only for unprotected headers).
    return (await externalKeySet(cfg)(cached.header, { payload: '', signature: '' })) === cached.key;
  } catch {
    return false;
  }
}

function commonOptions(cfg: AuthConfig, issuer: string) {
  return {
    issuer,
    audience: cfg.audience,
    clockTolerance: cfg.clockToleranceSeconds,
    requiredClaims: ['exp'],
  };
}

/** jose's error, told in words a client developer can act on; key-fetch failures are ours, not the client's. */
function verificationError(cfg: AuthConfig, err: unknown): OperationOutcomeError {
  if (err instanceof OperationOutcomeError) return err;
  if (err instanceof errors.JWTExpired) return invalidToken(cfg, 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return invalidToken(cfg, 'the token is not valid yet (nbf)');
    return invalidToken(cfg, `claim ${err.claim} is not acceptable: ${err.reason}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return invalidToken(cfg, 'the signing algorithm is not accepted');
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalidToken(cfg, 'the signature does not verify');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return invalidToken(cfg, 'the token is signed with a key the issuer does not publish');
  }
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
    return unavailable(`The access token cannot be checked now: the issuer's keys are unavailable`);
  }
  return invalidToken(cfg, 'the token is malformed or uses an unsupported key');
}

/** The public JWK set of the built-in authorization server, for `GET .../auth/jwks`. */
export function serverJwks(cfg: AuthConfig): { keys: object[] } {
  return { keys: cfg.signingKey ? [cfg.signingKey.publicJwk] : [] };
}
