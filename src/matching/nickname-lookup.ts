/**
 * Nickname equivalence over the configured groups (nicknames.json): `bill` and `william` are one given name, and
 * both lead to the canonical `william` for blocking keys.
 */
export class Nicknames {
  /** name -> indexes of the groups holding it */
  private readonly groupsOf = new Map<string, number[]>();

  constructor(private readonly groups: readonly (readonly string[])[]) {
    groups.forEach((g, i) => {
      for (const name of g) this.groupsOf.set(name, [...(this.groupsOf.get(name) ?? []), i]);
    });
  }

  /** Are the two (different) names forms of one name? */
  equivalent(a: string, b: string): boolean {
    const ga = this.groupsOf.get(a);
    const gb = this.groupsOf.get(b);
    return !!ga && !!gb && ga.some((g) => gb.includes(g));
  }

  /** The name itself and the canonical name of every group it is in. */
  canonical(name: string): string[] {
    return [...new Set([name, ...(this.groupsOf.get(name) ?? []).map((g) => this.groups[g][0])])];
  }
}

const cache = new WeakMap<readonly (readonly string[])[], Nicknames>();

/** One lookup per configuration's groups. */
export function nicknamesOf(groups: readonly (readonly string[])[]): Nicknames {
  let n = cache.get(groups);
  if (!n) cache.set(groups, (n = new Nicknames(groups)));
  return n;
}
