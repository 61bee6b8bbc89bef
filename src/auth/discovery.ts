import type { CapabilityStatementRestSecurity } from 'fhir/r4';
import { type AuthConfig, isAuthConfigured } from './config';
import { ASSERTION_ALGORITHMS } from './token-endpoint';

/** Scopes a client may ask for; clients learn the grammar from the capabilities, not from an exhaustive list. */
const ADVERTISED_SCOPES = [
  'system/*.rs', 'system/*.cruds', 'system/*.read', 'system/*.*',
  'user/*.rs', 'user/*.cruds', 'user/*.read', 'user/*.*',
  'patient/*.rs', 'patient/*.cruds', 'patient/*.read', 'patient/*.*',
];

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
  doc.scopes_supported = ADVERTISED_SCOPES;
  doc.capabilities = capabilities;
  doc.fhir_base = baseUrl;
  return JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
}

/** The OAuth endpoints discovery publishes, for CapabilityStatement.rest.security's oauth-uris extension. */
function oauthUris(cfg: AuthConfig): Array<{ url: string; valueUri: string }> {
  if (cfg.clients.size > 0) return [{ url: 'token', valueUri: cfg.tokenEndpoint }];
  const { authorize, token } = cfg.issuer ? cfg.externalEndpoints : {};
  return [
    ...(authorize ? [{ url: 'authorize', valueUri: authorize }] : []),
    ...(token ? [{ url: 'token', valueUri: token }] : []),
  ];
}

/** CapabilityStatement.rest.security: SMART-on-FHIR with the OAuth endpoints, or a statement of protected mode. */
export function capabilitySecurity(cfg: AuthConfig): CapabilityStatementRestSecurity {
  if (!isAuthConfigured(cfg)) {
    return {
      cors: false,
      description:
        'No authorization is configured: the server runs in protected mode and answers only on a loopback interface.',
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
    description:
      'SMART on FHIR bearer tokens (App Launch 1.0 and 2.0 scopes; Backend Services client_credentials with ' +
      'private_key_jwt). Discovery at .well-known/smart-configuration.',
  };
  const uris = oauthUris(cfg);
  if (uris.length > 0) {
    security.extension = [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: uris }];
  }
  return security;
}
