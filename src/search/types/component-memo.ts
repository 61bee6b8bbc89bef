import type { IndexFields } from './param-type';

/**
 * The entries of each composite component per element, kept for one buildSearchIndex call: composites share
 * components (an Observation's code is a component of eight of them), and indexing is a pure function of the
 * element. A module of its own so that index-builder can scope it without importing composite.ts, whose import
 * cycle with types/index.ts depends on load order.
 */
let memo: Map<object, Map<string, IndexFields[]>> | undefined;

export function withComponentMemo<T>(fn: () => T): T {
  memo = new Map();
  try {
    return fn();
  } finally {
    memo = undefined;
  }
}

/** `compute()` for (element, key), once per buildSearchIndex call. */
export function memoised(element: unknown, key: string, compute: () => IndexFields[]): IndexFields[] {
  if (!memo || typeof element !== 'object' || element === null) return compute();
  let byKey = memo.get(element);
  if (!byKey) memo.set(element, (byKey = new Map()));
  let entries = byKey.get(key);
  if (!entries) byKey.set(key, (entries = compute()));
  return entries;
}
