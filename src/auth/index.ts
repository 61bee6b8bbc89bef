/** SMART on FHIR authorization: the surface the HTTP adapter and the repository use. */
export type { AccessInteraction, AccessPolicy } from './access-policy';
export { anonymousPolicy, unrestrictedPolicy } from './access-policy';
export { type AuthConfig, authConfigFromEnv, isAuthConfigured, tokenEndpointFor } from './config';
export { authenticate, bearerChallenge, serverJwks } from './authenticate';
export { type TokenResponse, handleTokenRequest } from './token-endpoint';
export { capabilitySecurity, serverJwksUrl, smartConfiguration } from './discovery';
export { type AccessTokenClaims, SmartAccessPolicy } from './smart-policy';
export { type ScopeGrant, parseScope, parseScopes } from './scopes';
export type { RegisteredClient } from './clients-file';
