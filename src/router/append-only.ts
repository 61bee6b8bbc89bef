/**
 * Types whose stored instances cannot be rewritten through the API: only create and read (the audit trail,
 * IHE BALP, HIPAA audit controls). The router refuses the other writes; the CapabilityStatement leaves them out.
 */
export const APPEND_ONLY_TYPES: ReadonlySet<string> = new Set(['AuditEvent']);

/** Instance interactions an append-only type refuses. */
export const REWRITING_INTERACTIONS: ReadonlySet<string> = new Set(['update', 'patch', 'delete']);
