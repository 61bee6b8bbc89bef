import type { IndexFields } from './param-type';

/**
 * The entries of each composite component per element, kept for one buildSearchIndex call: composites share
 * components (an Observation's code is a component of eight of them), and indexing is a pure function of the
 * element. Each call makes its own and drops it when done, so nothing outlives the resource it was built for.
 * A module of its own so that index-builder can make one without importing composite.ts, whose import cycle
 * with types/index.ts depends on load order.
 */
export class ComponentMemo {
  private readonly byElement = new Map<object, Map<string, IndexFields[]>>();

  /** `compute()` for (element, key), once per memo; computed every time for a primitive element. */
  entries(element: unknown, key: string, compute: () => IndexFields[]): IndexFields[] {
    if (typeof element !== 'object' || element === null) return compute();
    let byKey = this.byElement.get(element);
    if (!byKey) this.byElement.set(element, (byKey = new Map()));
    let entries = byKey.get(key);
    if (!entries) byKey.set(key, (entries = compute()));
    return entries;
  }
}
