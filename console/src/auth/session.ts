import type { CapabilityStatement } from 'fhir/r4';
import { DEFAULT_SCOPE } from './scopes';

/**
 * Who the console acts as. In protected mode (a loopback server without auth configured) there are no users and
 * requests carry no token. With an external SMART issuer, the user signs in there (./sign-in.ts) and every request
 * carries the access token, kept in this tab's sessionStorage (gone when the tab closes, never sent as a cookie).
 */
export interface SmartServer {
  issuer: string;
  authorize: string;
  token: string;
  clientId: string;
  scope: string;
}

export interface Session {
  accessToken: string;
  /** The scope the issuer granted (which may be less than asked). */
  scope: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The ID token's fhirUser, else its sub. */
  user?: string;
}

export type Mode = { kind: 'protected' } | { kind: 'smart'; server: SmartServer } | { kind: 'unknown'; reason: string };

const KEY = 'fhirstone.session';

export function currentSession(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  const s = raw ? (JSON.parse(raw) as Session) : undefined;
  return s && s.expiresAt > Date.now() ? s : undefined;
}

export function keepSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

/** Forgets the token; the shell (App) listens to show the sign-in page again. */
export function endSession(reason?: string): void {
  sessionStorage.removeItem(KEY);
  window.dispatchEvent(new CustomEvent('fhirstone:signed-out', { detail: reason }));
}

export const authorization = () => {
  const s = currentSession();
  return s ? `Bearer ${s.accessToken}` : undefined;
};

async function getJson<T>(url: string): Promise<T | undefined> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  return res.ok ? ((await res.json()) as T) : undefined;
}

/**
 * Protected mode when the server's CapabilityStatement names no SMART security service; SMART mode when its
 * discovery document names an issuer with an authorize and a token endpoint (an external issuer).
 */
export async function detectMode(): Promise<Mode> {
  try {
    const cs = await getJson<CapabilityStatement>('/fhir/metadata');
    if (!cs) return { kind: 'unknown', reason: 'The server does not describe itself' };
    if (!cs.rest?.[0]?.security?.service?.length) return { kind: 'protected' };
    const smart = await getJson<Record<string, unknown>>('/fhir/.well-known/smart-configuration');
    const { issuer, authorization_endpoint: authorize, token_endpoint: token } = smart ?? {};
    if (typeof issuer !== 'string' || typeof authorize !== 'string' || typeof token !== 'string') {
      return { kind: 'unknown', reason: 'This server needs sign-in, but names no authorization server the console can use' };
    }
    const config = await getJson<{ clientId: string; scope?: string }>('/console/config.json');
    if (!config) return { kind: 'unknown', reason: 'The console settings cannot be read' };
    return { kind: 'smart', server: { issuer, authorize, token, clientId: config.clientId, scope: config.scope ?? DEFAULT_SCOPE } };
  } catch {
    return { kind: 'unknown', reason: 'The server cannot be reached' };
  }
}
