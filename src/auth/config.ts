import { type ClientRegistration } from './client-registration';
import { type ExternalClient, type RegisteredClient, checkJwksUrl, externalClientKey, readClientsFile } from './clients-file';
import { AuthState } from './auth-state';
import type { Db } from 'mongodb';
import { StoreReplayCache } from './store-replay-cache';
import type { ThrottleLimits } from './failure-throttle';
import { type IssuerEndpoints, issuerEndpoints } from './issuer-metadata';
import { type ServerSigningKey, loadSigningKey } from './signing-key';

/**
 * Authorization settings, from environment variables (documented in README "Authorization"):
 *
 * | variable | meaning |
 * |---|---|
 * | SMART_ISSUER | `iss` of tokens from an external authorization server (with SMART_JWKS_URI) |
 * | SMART_JWKS_URI | its keys: https: (http: on loopback only) or file: (re-read as soon as it changes) |
 * | SMART_JWKS_CACHE_SECONDS | how long a fetched JWKS (issuer's or client's) is used before it is fetched again, 10..3600, default 300 |
 * | SMART_AUTHORIZE_ENDPOINT, SMART_TOKEN_ENDPOINT | the external issuer's endpoints, published by discovery; without SMART_TOKEN_ENDPOINT (and without registered clients) read from the issuer's metadata at start-up |
 * | SMART_AUDIENCE | required `aud` of every access token; default the FHIR base URL |
 * | SMART_CLIENTS_FILE | Backend Services clients of the built-in token endpoint |
 * | SMART_SIGNING_KEY_FILE | private JWK (ES384/RS384) the built-in server signs with; default: generated in DATA_DIR when clients are registered |
 * | SMART_TOKEN_LIFETIME | seconds an issued access token lives, 30..300, default 300 |
 * | SMART_CLOCK_SKEW | seconds of clock difference tolerated on exp/nbf/iat, 0..120, default 30 |
 * | AUTH_THROTTLE_WINDOW | seconds over which failed authentications are counted, 1..3600, default 60 |
 * | AUTH_THROTTLE_ADDRESS_FAILURES | failures from one address per window before it gets 429, 0 (off)..100000, default 20 |
 * | AUTH_THROTTLE_CLIENT_FAILURES | failed assertions of one registered client per window, 0 (off)..100000, default 10 |
 */
export interface AuthConfig {
  baseUrl: string;
  audience: string;
  /** External authorization server. Both or neither are set. */
  issuer?: string;
  jwksUri?: string;
  /** The external issuer's endpoints, for discovery only (this server never calls them). */
  externalEndpoints: IssuerEndpoints;
  clients: ReadonlyMap<string, RegisteredClient>;
  /** Clients of the external issuer the clients file describes (recipient, purpose of use), by `externalClientKey`. */
  externalClients: ReadonlyMap<string, ExternalClient>;
  /** Present when this server issues tokens (clients registered, or a key configured). */
  signingKey?: ServerSigningKey;
  /** `iss` of the tokens this server issues. */
  ownIssuer: string;
  tokenEndpoint: string;
  tokenLifetimeSeconds: number;
  clockToleranceSeconds: number;
  /** A key removed from a remote JWKS stops verifying at most this long after it is removed. */
  jwksCacheSeconds: number;
  /** Failed authentications tolerated before an address or client is refused for the rest of the window. */
  throttle: ThrottleLimits;
  /** This configuration's own memory: throttle counts, replay cache, key sets, verified tokens. */
  state: AuthState;
}

type Env = Record<string, string | undefined>;

function wholeNumber(env: Env, name: string, fallback: number, min: number, max: number, unit = ''): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new Error(`${name} must be a whole number${unit} between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

const seconds = (env: Env, name: string, fallback: number, min: number, max: number) => wholeNumber(env, name, fallback, min, max, ' of seconds');

function absoluteUri(raw: string, name: string): string {
  try {
    new URL(raw);
  } catch {
    throw new Error(`${name} must be an absolute URI, got "${raw}"`);
  }
  return raw;
}

/** An optional endpoint of the external issuer: an absolute http(s) URL, and only next to SMART_ISSUER. */
function externalEndpoint(env: Env, name: string, issuer: string | undefined): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  if (!issuer) throw new Error(`${name} describes the external authorization server: it needs SMART_ISSUER`);
  if (!/^https?:$/.test(new URL(absoluteUri(raw, name)).protocol)) throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  return raw;
}

/**
 * The external issuer's endpoints as configured; when discovery describes that issuer (no registered clients, whose
 * built-in server it describes otherwise) and its token endpoint is not configured, completed from its metadata.
 */
async function externalEndpoints(env: Env, issuer: string | undefined, describedByDiscovery: boolean): Promise<IssuerEndpoints> {
  const configured = {
    authorize: externalEndpoint(env, 'SMART_AUTHORIZE_ENDPOINT', issuer),
    token: externalEndpoint(env, 'SMART_TOKEN_ENDPOINT', issuer),
  };
  if (!issuer || configured.token || !describedByDiscovery) return configured;
  const fetched = await issuerEndpoints(issuer);
  return { authorize: configured.authorize ?? fetched.authorize, token: fetched.token };
}

/** The built-in token endpoint, below the FHIR base so one reverse-proxy rule covers both. */
export const tokenEndpointFor = (baseUrl: string) => `${baseUrl.replace(/\/+$/, '')}/auth/token`;

export async function authConfigFromEnv(env: Env, opts: { baseUrl: string; dataDir: string; db?: Db }): Promise<AuthConfig> {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const issuer = env.SMART_ISSUER || undefined;
  const jwksUri = env.SMART_JWKS_URI || undefined;
  if (issuer && !jwksUri) throw new Error("SMART_ISSUER is set but SMART_JWKS_URI is not: the issuer's keys are needed");
  if (jwksUri && !issuer) throw new Error('SMART_JWKS_URI is set but SMART_ISSUER is not: tokens must name their issuer');
  if (issuer) absoluteUri(issuer, 'SMART_ISSUER');
  if (issuer === baseUrl) {
    throw new Error('SMART_ISSUER must differ from the FHIR base URL, which is the built-in authorization server');
  }
  const audience = env.SMART_AUDIENCE ? absoluteUri(env.SMART_AUDIENCE, 'SMART_AUDIENCE') : baseUrl;
  const { clients, external: externalClients } = env.SMART_CLIENTS_FILE ? readClientsFile(env.SMART_CLIENTS_FILE) : { clients: new Map(), external: new Map() };
  for (const c of externalClients.values()) {
    if (c.issuer !== issuer) throw new Error(`SMART_CLIENTS_FILE: client ${c.clientId} names issuer ${c.issuer}, which is not SMART_ISSUER (${issuer ?? 'unset'})`);
  }
  // Only the built-in authorization server signs; without it no key is needed, and none is written to disk.
  let signingKey: ServerSigningKey | undefined;
  if (clients.size > 0 || env.SMART_SIGNING_KEY_FILE) {
    try {
      signingKey = await loadSigningKey(env.SMART_SIGNING_KEY_FILE || undefined, opts.dataDir);
    } catch (err) {
      const source = env.SMART_SIGNING_KEY_FILE ? 'SMART_SIGNING_KEY_FILE' : `the generated key in ${opts.dataDir}`;
      throw new Error(`${source}: ${(err as Error).message}`, { cause: err });
    }
  }
  const throttle: ThrottleLimits = {
    windowSeconds: seconds(env, 'AUTH_THROTTLE_WINDOW', 60, 1, 3600),
    addressFailures: wholeNumber(env, 'AUTH_THROTTLE_ADDRESS_FAILURES', 20, 0, 100_000),
    clientFailures: wholeNumber(env, 'AUTH_THROTTLE_CLIENT_FAILURES', 10, 0, 100_000),
  };
  const config: Omit<AuthConfig, 'externalEndpoints'> = {
    baseUrl,
    audience,
    issuer,
    jwksUri: jwksUri ? checkJwksUrl(jwksUri, 'SMART_JWKS_URI', true) : undefined,
    clients,
    externalClients,
    signingKey,
    ownIssuer: baseUrl,
    tokenEndpoint: tokenEndpointFor(baseUrl),
    tokenLifetimeSeconds: seconds(env, 'SMART_TOKEN_LIFETIME', 300, 30, 300),
    clockToleranceSeconds: seconds(env, 'SMART_CLOCK_SKEW', 30, 0, 120),
    jwksCacheSeconds: seconds(env, 'SMART_JWKS_CACHE_SECONDS', 300, 10, 3600),
    throttle,
    state: new AuthState(throttle, opts.db && new StoreReplayCache(opts.db)),
  };
  // Last, so that a mistake in any other setting is reported without waiting for the issuer.
  return { ...config, externalEndpoints: await externalEndpoints(env, issuer, clients.size === 0) };
}

/** Without an external issuer or registered clients there is nobody to issue tokens: protected (loopback) mode. */
export function isAuthConfigured(cfg: AuthConfig): boolean {
  return cfg.issuer !== undefined || cfg.clients.size > 0;
}

/** What the clients file says of the client a verified token names (within the issuer that issued the token). */
export function clientRegistration(cfg: AuthConfig, issuer: unknown, clientId: string): ClientRegistration | undefined {
  if (issuer === cfg.ownIssuer) return cfg.clients.get(clientId);
  return typeof issuer === 'string' ? cfg.externalClients.get(externalClientKey(issuer, clientId)) : undefined;
}
