/** The audit trail: what the HTTP adapter records after each request, and the chain check behind $verify-chain. */
export type { AuditInput, AuditInteraction, ExportJobRef } from './audit-input';
export { AuditTrail, type AuditTrailOptions } from './audit-trail';
export { buildAuditEvent, outcomeOf, type AuditSource } from './balp';
export { CHAIN_EXTENSION_URL, recomputeHash, readLink } from './hash-chain';
export { type ChainBreak, type ChainReport, walkChain, reportToParameters } from './verify-chain';
export { ORIGIN_SYSTEM, SUBMITTED_BY_URL, type Submitter } from './origin';
export { FAILURE_COUNT_URL, failedLoginOptionsFromEnv } from './failed-logins';
