/** Defined with the store, which keeps no separate history for these types (src/store/append-only-history.ts). */
export { APPEND_ONLY_TYPES } from '../store/append-only-history';

/** Instance interactions an append-only type refuses. */
export const REWRITING_INTERACTIONS: ReadonlySet<string> = new Set(['update', 'patch', 'delete']);
