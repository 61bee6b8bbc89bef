import type { CapabilityStatement } from 'fhir/r4';

/**
 * Who the console acts as. In protected mode (a loopback server without auth configured) there are no users and
 * requests carry no token; a SMART sign-in, when the server names an issuer, would set the bearer token here.
 */
let token: string | undefined;

export const authorization = () => (token ? `Bearer ${token}` : undefined);

export function signIn(accessToken: string | undefined): void {
  token = accessToken;
}

export type Mode = { kind: 'protected' } | { kind: 'smart'; authorize: string } | { kind: 'unknown'; reason: string };

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

/**
 * Protected mode when the server's CapabilityStatement names no authorization server (no SMART `oauth-uris`
 * extension in rest.security); otherwise its authorize endpoint.
 */
export async function detectMode(): Promise<Mode> {
  try {
    const res = await fetch('/fhir/metadata', { headers: { accept: 'application/fhir+json' } });
    if (!res.ok) return { kind: 'unknown', reason: `The server answered ${res.status}` };
    const cs = (await res.json()) as CapabilityStatement;
    const uris = cs.rest?.[0]?.security?.extension?.find((e) => e.url === OAUTH_URIS);
    const authorize = uris?.extension?.find((e) => e.url === 'authorize')?.valueUri;
    return authorize ? { kind: 'smart', authorize } : { kind: 'protected' };
  } catch {
    return { kind: 'unknown', reason: 'The server cannot be reached' };
  }
}
