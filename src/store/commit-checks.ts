/**
 * Checks a transaction runs once its last write is made, just before it commits, each over state its layer gathered
 * as the transaction's writes went: for conditions another transaction may change after this one's snapshot (a
 * patient merge beginning), which reads inside the snapshot cannot see and snapshot isolation does not turn into a
 * conflict. A check that throws aborts the transaction.
 */
export class CommitChecks {
  private readonly entries = new Map<string, { state: unknown; check: (state: unknown) => Promise<void> }>();

  /** The state kept under `key` in this transaction: made, with its check, the first time `key` is asked for. */
  state<T>(key: string, make: () => { state: T; check: (state: T) => Promise<void> }): T {
    let entry = this.entries.get(key);
    if (!entry) {
      const made = make();
      entry = { state: made.state, check: (s) => made.check(s as T) };
      this.entries.set(key, entry);
    }
    return entry.state as T;
  }

  async run(): Promise<void> {
    for (const { state, check } of this.entries.values()) await check(state);
  }
}
