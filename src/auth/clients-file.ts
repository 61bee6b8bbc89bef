import { readFileSync } from 'node:fs';
import type { JSONWebKeySet, JWK } from 'jose';
import { type ClientRegistration, parseRegistration } from './client-registration';
import { type ScopeGrant, parseScope } from './scopes';
import { assertPublicKeys } from './signing-key';

/** A SMART Backend Services client registered with the built-in authorization server. */
export interface RegisteredClient extends ClientRegistration {
  clientId: string;
  /** Public keys given inline... */
  jwks?: JSONWebKeySet;
  /** ...or fetched (and cached) from the client's JWKS URL. */
  jwksUri?: string;
  /** The system/ scopes this client may ever be granted. */
  allowedScopes: readonly ScopeGrant[];
}

/** A client of the external issuer, described for the accounting of disclosures (its keys are the issuer's business). */
export interface ExternalClient extends ClientRegistration {
  clientId: string;
  issuer: string;
}

export interface ClientsFile {
  /** Clients of the built-in token endpoint, by client_id. */
  clients: Map<string, RegisteredClient>;
  /** Clients of an external issuer, by `externalClientKey`. */
  external: Map<string, ExternalClient>;
}

/** A client_id names a client only within its issuer. */
export const externalClientKey = (issuer: string, clientId: string) => `${issuer} ${clientId}`;

/**
 * Reads the clients file:
 * `{"clients": [{"client_id": "...", "jwks": {"keys": [...]} | "jwks_uri": "https://...", "scope": "system/*.rs"}]}`
 * (`scope` may also be an array), each optionally with `recipient` and `purpose_of_use` (src/auth/client-registration.ts).
 * An entry with `issuer` describes a client of that external issuer instead: no keys or scope, only its registration.
 * Everything is checked up front so a typo stops start-up, not a token request.
 */
export function readClientsFile(file: string): ClientsFile {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`SMART_CLIENTS_FILE ${file} cannot be read as JSON: ${(err as Error).message}`, { cause: err });
  }
  const list = Array.isArray(doc) ? doc : (doc as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(list)) throw new Error(`SMART_CLIENTS_FILE ${file} must hold {"clients": [...]}`);
  const clients = new Map<string, RegisteredClient>();
  const external = new Map<string, ExternalClient>();
  list.forEach((entry, i) => {
    const where = `SMART_CLIENTS_FILE ${file} clients[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new Error(`${where} must be an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.client_id !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(e.client_id)) {
      throw new Error(`${where}.client_id must be a non-empty printable string`);
    }
    const twice = new Error(`SMART_CLIENTS_FILE ${file}: client_id ${e.client_id} is listed twice${e.issuer === undefined ? '' : ` for issuer ${String(e.issuer)}`}`);
    if (e.issuer !== undefined) {
      const client = parseExternalClient(e, e.client_id, where);
      const key = externalClientKey(client.issuer, client.clientId);
      if (external.has(key)) throw twice;
      external.set(key, client);
      return;
    }
    if (clients.has(e.client_id)) throw twice;
    clients.set(e.client_id, parseClient(e, e.client_id, where));
  });
  return { clients, external };
}

function parseExternalClient(e: Record<string, unknown>, clientId: string, where: string): ExternalClient {
  if (typeof e.issuer !== 'string' || !URL.canParse(e.issuer)) throw new Error(`${where}.issuer must be the absolute URL of the external issuer`);
  for (const field of ['jwks', 'jwks_uri', 'scope']) {
    if (e[field] !== undefined)
      throw new Error(`${where}: a client of issuer ${e.issuer} authenticates there; ${field} belongs to clients of the built-in token endpoint`);
  }
  return { clientId, issuer: e.issuer, ...parseRegistration(e, where) };
}

function parseClient(e: Record<string, unknown>, clientId: string, where: string): RegisteredClient {
  const client: RegisteredClient = { clientId, allowedScopes: parseAllowedScopes(e.scope, where), ...parseRegistration(e, where) };
  if (e.jwks !== undefined) {
    const keys = (e.jwks as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${where}.jwks must be {"keys": [...]} with a key`);
    assertPublicKeys(keys as JWK[], `${where}.jwks`);
    client.jwks = { keys: keys as JWK[] };
  }
  if (e.jwks_uri !== undefined) {
    if (typeof e.jwks_uri !== 'string') throw new Error(`${where}.jwks_uri must be a URL`);
    client.jwksUri = checkJwksUrl(e.jwks_uri, `${where}.jwks_uri`, false);
  }
  if (!client.jwks === !client.jwksUri) throw new Error(`${where} needs exactly one of jwks or jwks_uri`);
  return client;
}

function parseAllowedScopes(value: unknown, where: string): ScopeGrant[] {
  const list = typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string')) {
    throw new Error(`${where}.scope must list the client's allowed scopes, e.g. "system/*.rs"`);
  }
  return list.map((s: string) => {
    let grant: ScopeGrant | undefined;
    try {
      grant = parseScope(s);
    } catch (err) {
      throw new Error(`${where}.scope "${s}": ${(err as Error).message}`, { cause: err });
    }
    if (!grant || grant.context !== 'system') {
      throw new Error(`${where}.scope "${s}": a backend client can only be allowed system/ resource scopes`);
    }
    return grant;
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Key sets are fetched over https. Plain http is accepted only for a loopback host (a local identity provider in
 * development), where nobody on the network can swap the keys; `file:` only where the caller allows it.
 */
export function checkJwksUrl(raw: string, name: string, allowFile: boolean): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${name} must be an absolute URL, got "${raw}"`);
  }
  if (u.protocol === 'https:') return u.toString();
  if (u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname)) return u.toString();
  if (u.protocol === 'file:' && allowFile) return u.toString();
  throw new Error(`${name} must be an https:${allowFile ? ' or file:' : ''} URL, got "${raw}"`);
}
