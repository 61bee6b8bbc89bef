import { randomUUID } from 'node:crypto';
import { type JWTVerifyGetKey, SignJWT, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { ACCESS_TOKEN_TYP } from './authenticate';
import type { RegisteredClient } from './clients-file';
import type { AuthConfig } from './config';
import { keySetFor, localKeySet } from './key-sets';
import { type ScopeGrant, intersectGrants, parseScope } from './scopes';

export interface TokenResponse {
  status: number;
  /** OAuth 2.0 JSON: the token, or `{error, error_description}`. */
  body: Record<string, unknown>;
  headers: Record<string, string>;
  /** For audit: the client the request claimed to be (authenticated only when status is 200). */
  clientId?: string;
}

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART Backend Services: servers support RS384 and ES384 client assertions. */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'];
/** SMART Backend Services: an assertion's exp is at most five minutes in the future. */
const MAX_ASSERTION_LIFETIME_S = 300;

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

function clientKeySet(cfg: AuthConfig, client: RegisteredClient): JWTVerifyGetKey {
  const cache = cfg.state.clientKeys;
  let keys = cache.get(client.clientId);
  if (!keys) {
    keys = client.jwks ? localKeySet(client.jwks) : keySetFor(client.jwksUri as string, cfg.jwksCacheSeconds * 1000);
    cache.set(client.clientId, keys);
  }
  return keys;
}

/**
 * The SMART Backend Services token endpoint: `grant_type=client_credentials` with a `private_key_jwt` client
 * assertion. Issues a short-lived access token signed with the server's key, whose scope is the intersection of
 * what was requested and what the client is registered for. Never throws: every failure is an OAuth error body.
 */
export async function handleTokenRequest(form: URLSearchParams, cfg: AuthConfig, tokenEndpointUrl: string, remoteAddress?: string): Promise<TokenResponse> {
  const throttle = cfg.state.throttle;
  const attempt = { address: remoteAddress, client: claimedRegisteredClient(form, cfg) };
  const wait = throttle.retryAfter(attempt);
  if (wait !== undefined) {
    return {
      status: 429,
      body: { error: 'temporarily_unavailable', error_description: `too many failed authentications; retry after ${wait} s` },
      headers: { ...NO_STORE, 'Retry-After': String(wait) },
      clientId: attempt.client,
    };
  }
  const result = await tokenResponse(form, cfg, tokenEndpointUrl);
  if (result.status === 401) throttle.failed(attempt);
  if (result.status === 200) throttle.succeeded(attempt);
  return result;
}

/**
 * The registered client a request claims to be (client_id, else the assertion's unverified iss), for throttling.
 * Unregistered ids are not counted per client: inventing them would only fill the table (their address counts).
 */
function claimedRegisteredClient(form: URLSearchParams, cfg: AuthConfig): string | undefined {
  let id = form.get('client_id');
  if (id === null) {
    try {
      id = String(decodeJwt(form.get('client_assertion') ?? '').iss);
    } catch {
      return undefined;
    }
  }
  return cfg.clients.has(id) ? id : undefined;
}

async function tokenResponse(form: URLSearchParams, cfg: AuthConfig, tokenEndpointUrl: string): Promise<TokenResponse> {
  let clientId: string | undefined;
  try {
    for (const name of new Set(form.keys())) {
      if (form.getAll(name).length > 1) throw new OAuthError('invalid_request', `parameter ${name} is repeated`);
    }
    const grantType = form.get('grant_type');
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 'only grant_type=client_credentials is supported');
    }
    const client = await authenticateClient(form, cfg, tokenEndpointUrl, (id) => (clientId = id));
    const scope = grantedScope(form.get('scope'), client);
    return { status: 200, body: await issueAccessToken(cfg, client.clientId, scope), headers: NO_STORE, clientId };
  } catch (err) {
    const e = err instanceof OAuthError ? err : new OAuthError('server_error', 'the token could not be issued', 500);
    return { status: e.status, body: { error: e.error, error_description: e.description }, headers: NO_STORE, clientId };
  }
}

const badClient = (description: string) => new OAuthError('invalid_client', description, 401);

async function authenticateClient(form: URLSearchParams, cfg: AuthConfig, endpoint: string, claimed: (clientId: string) => void): Promise<RegisteredClient> {
  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION) {
    throw badClient(`client_assertion_type must be ${JWT_BEARER_ASSERTION} (private_key_jwt)`);
  }
  const assertion = form.get('client_assertion');
  if (!assertion) throw badClient('client_assertion is required');
  let alg: unknown;
  let jku: unknown;
  let iss: unknown;
  try {
    ({ alg, jku } = decodeProtectedHeader(assertion));
    iss = decodeJwt(assertion).iss;
  } catch {
    throw badClient('client_assertion is not a signed JWT');
  }
  if (typeof iss !== 'string') throw badClient('client_assertion has no iss (the client_id)');
  claimed(iss);
  const formClientId = form.get('client_id');
  if (formClientId !== null && formClientId !== iss) throw badClient('client_id does not match the assertion iss');
  if (typeof alg !== 'string' || !ASSERTION_ALGORITHMS.includes(alg)) {
    throw badClient(`client_assertion must be signed with ${ASSERTION_ALGORITHMS.join(' or ')}`);
  }
  const client = cfg.clients.get(iss);
  if (!client) throw badClient('the client is not registered');
  if (jku !== undefined) checkJku(jku, client);

  let exp: number;
  let jti: string;
  try {
    const { payload } = await jwtVerify(assertion, clientKeySet(cfg, client), {
      issuer: client.clientId,
      subject: client.clientId,
      audience: endpoint,
      algorithms: ASSERTION_ALGORITHMS,
      clockTolerance: cfg.clockToleranceSeconds,
      requiredClaims: ['exp', 'jti'],
    });
    exp = payload.exp as number;
    jti = String(payload.jti);
  } catch (err) {
    throw badClient(assertionProblem(err));
  }
  const nowS = Math.floor(Date.now() / 1000);
  if (exp - nowS > MAX_ASSERTION_LIFETIME_S + cfg.clockToleranceSeconds) {
    throw badClient('client_assertion exp must be at most five minutes in the future');
  }
  const seen = await cfg.state.replay.remember(`${client.clientId}\n${jti}`, (exp + cfg.clockToleranceSeconds) * 1000);
  if (seen === 'replayed') throw badClient('client_assertion jti was already used');
  if (seen === 'full') throw new OAuthError('temporarily_unavailable', 'too many token requests; retry shortly', 503);
  return client;
}

/**
 * SMART Backend Services: an assertion naming a `jku` is refused unless it is the JWKS URL the client registered.
 * The keys are always the registered ones; refusing says so to a client that meant others (or to an attacker
 * pointing at a key set of its own), instead of verifying against keys the header did not name.
 */
function checkJku(jku: unknown, client: RegisteredClient): void {
  if (!client.jwksUri) throw badClient('client_assertion names a jku, but the client registered its keys inline, not a JWKS URL');
  // The registered URL is stored normalized (checkJwksUrl); an unparsable jku matches nothing.
  const url = typeof jku === 'string' && URL.canParse(jku) ? new URL(jku).href : undefined;
  if (url !== client.jwksUri) throw badClient("client_assertion jku is not the client's registered JWKS URL");
}

function assertionProblem(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'client_assertion has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `client_assertion ${err.claim} claim: ${err.reason}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'client_assertion signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return 'client_assertion is signed with a key not registered for the client';
  if (err instanceof errors.JOSEError) return `client_assertion is not acceptable (${err.code})`;
  return "the client's registered keys cannot be fetched";
}

function grantedScope(requested: string | null, client: RegisteredClient): string {
  if (!requested || !requested.trim()) throw new OAuthError('invalid_scope', 'scope is required, e.g. system/*.rs');
  const granted = new Map<string, ScopeGrant>();
  for (const scope of requested.trim().split(/\s+/)) {
    let want: ScopeGrant | undefined;
    try {
      want = parseScope(scope);
    } catch (err) {
      throw new OAuthError('invalid_scope', `scope ${scope}: ${(err as Error).message}`);
    }
    if (!want) continue;
    for (const allowed of client.allowedScopes) {
      const g = intersectGrants(want, allowed);
      if (g) granted.set(g.raw, g);
    }
  }
  if (granted.size === 0) {
    throw new OAuthError('invalid_scope', 'none of the requested scopes is allowed for this client');
  }
  return [...granted.keys()].join(' ');
}

async function issueAccessToken(cfg: AuthConfig, clientId: string, scope: string) {
  const { signingKey } = cfg;
  if (!signingKey) throw new OAuthError('server_error', 'this server has no signing key', 500);
  const accessToken = await new SignJWT({ scope, client_id: clientId })
    .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(cfg.ownIssuer)
    .setAudience(cfg.audience)
    .setSubject(clientId)
    .setIssuedAt()
    .setExpirationTime(`${cfg.tokenLifetimeSeconds}s`)
    .setJti(randomUUID())
    .sign(signingKey.privateKey);
  return { access_token: accessToken, token_type: 'bearer', expires_in: cfg.tokenLifetimeSeconds, scope };
}
