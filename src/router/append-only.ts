/** Defined with the store, which keeps no separate history for these types (src/store/append-only-history.ts). */
export { APPEND_ONLY_TYPES } from '../store/append-only-history';
