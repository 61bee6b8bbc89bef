import type { CapabilityStatementRestSecurity } from 'fhir/r4';
import { type AuthConfig, isAuthConfigured } from './config';
import { type ScopeGrant, intersectGrants, parseScope } from './scopes';
import { ASSERTION_ALGORITHMS } from './token-endpoint';

const WILDCARDS = ['*.rs', '*.cruds', '*.read', '*.*'];

/** What an external issuer's tokens may carry: the resource server honours every context. */
const EXTERNAL_ISSUER_SCOPES = ['patient', 'user', 'system'].flatMap((context) => WILDCARDS.map((w) => `${context}/${w}`));

/** Whether a client allowed `allowed` is granted all of `want` when it asks for it (not a narrower part). */
function grantsInFull(want: ScopeGrant, allowed: ScopeGrant): boolean {
  const g = intersectGrants(want, allowed);
  return g !== undefined && g.resourceType === want.resourceType && g.permissions.size === want.permissions.size && g.query === want.query;
}

/**
 * `scopes_supported` is the "array of scopes a client may request" from the authorization server the document
 * describes, all of which it SHALL support; not exhaustive (SMART App Launch 2.0, Conformance). The built-in token
 * endpoint grants registered Backend Services clients their allowed system/ scopes, so it advertises the system/
 * wildcards some client is granted in full and the clients' own allowances; a client asking it for patient/ or
 * user/ scopes would get invalid_scope. Those come only from an external issuer.
 */
function scopesSupported(cfg: AuthConfig): string[] {
  if (cfg.clients.size === 0) return EXTERNAL_ISSUER_SCOPES;
  const allowed = [...cfg.clients.values()].flatMap((c) => c.allowedScopes);
  const candidates = [...WILDCARDS.map((w) => `system/${w}`), ...allowed.map((g) => g.raw)];
  return [...new Set(candidates)].filter((scope) => {
    const want = parseScope(scope);
    return want !== undefined && allowed.some((a) => grantsInFull(want, a));
  });
}

/** The public JWKS of the built-in authorization server, served next to the token endpoint. */
export const serverJwksUrl = (cfg: AuthConfig) => cfg.tokenEndpoint.replace(/\/token$/, '/jwks');

/**
 * `GET [base]/.well-known/smart-configuration` (SMART App Launch 2.0 §Discovery). One authorization server, never a
 * mix: the built-in Backend Services one when clients are registered (its issuer, keys and token endpoint belong
 * together), otherwise what is configured of the external issuer, with nothing guessed.
 */
export function smartConfiguration(cfg: AuthConfig, baseUrl: string): Record<string, unknown> {
  const capabilities = ['permission-v1', 'permission-v2'];
  const doc: Record<string, unknown> = {};
  if (cfg.issuer) capabilities.push('permission-patient', 'permission-user');
  if (cfg.clients.size > 0) {
    doc.issuer = cfg.ownIssuer;
    doc.jwks_uri = serverJwksUrl(cfg);
    doc.token_endpoint = cfg.tokenEndpoint;
    doc.token_endpoint_auth_methods_supported = ['private_key_jwt'];
    doc.token_endpoint_auth_signing_alg_values_supported = ASSERTION_ALGORITHMS;
    doc.grant_types_supported = ['client_credentials'];
    capabilities.push('client-confidential-asymmetric');
  } else if (cfg.issuer) {
    doc.issuer = cfg.issuer;
    doc.jwks_uri = cfg.jwksUri?.startsWith('file:') ? undefined : cfg.jwksUri;
    doc.authorization_endpoint = cfg.externalEndpoints.authorize;
    doc.token_endpoint = cfg.externalEndpoints.token;
    if (cfg.externalEndpoints.authorize) doc.grant_types_supported = ['authorization_code'];
  }
  doc.scopes_supported = scopesSupported(cfg);
  doc.capabilities = capabilities;
  doc.fhir_base = baseUrl;
  return JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
}

/** The OAuth endpoints discovery publishes, for CapabilityStatement.rest.security's oauth-uris extension. */
function oauthUris(cfg: AuthConfig): Array<{ url: string; valueUri: string }> {
  if (cfg.clients.size > 0) return [{ url: 'token', valueUri: cfg.tokenEndpoint }];
  const { authorize, token } = cfg.issuer ? cfg.externalEndpoints : {};
  return [...(authorize ? [{ url: 'authorize', valueUri: authorize }] : []), ...(token ? [{ url: 'token', valueUri: token }] : [])];
}

/** What tokens the server takes, from whom, with which scopes: as configured, nothing more. */
function securityDescription(cfg: AuthConfig): string {
  const parts = ['SMART on FHIR bearer tokens (App Launch 1.0 and 2.0 scope syntax).'];
  if (cfg.clients.size > 0) {
    parts.push(
      `Built-in Backend Services token endpoint (client_credentials, private_key_jwt) for registered clients: ` +
        `system/ scopes only (${scopesSupported(cfg).join(' ')}).`,
    );
  }
  if (cfg.issuer) parts.push(`Tokens of ${cfg.issuer} with patient/, user/ or system/ scopes.`);
  parts.push('Discovery at .well-known/smart-configuration.');
  return parts.join(' ');
}

/** CapabilityStatement.rest.security: SMART-on-FHIR with the OAuth endpoints, or a statement of protected mode. */
export function capabilitySecurity(cfg: AuthConfig): CapabilityStatementRestSecurity {
  if (!isAuthConfigured(cfg)) {
    return {
      cors: false,
      description: 'No authorization is configured: the server runs in protected mode and answers only on a loopback interface.',
    };
  }
  const security: CapabilityStatementRestSecurity = {
    cors: true,
    service: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
        text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
      },
    ],
    description: securityDescription(cfg),
  };
  const uris = oauthUris(cfg);
  if (uris.length > 0) {
    security.extension = [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: uris }];
  }
  return security;
}
