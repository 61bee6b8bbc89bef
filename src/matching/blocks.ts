/**
 * Candidates from blocks: the records sharing a blocking key with one record. Used by `$match` (one record against
 * the store), `$find-duplicates` (every record, each pair once) and the quality test alike.
 */

/**
 * The ids in the blocks of `keys`, but `self`, and blocks larger than `maxBlockSize` (a key that common finds
 * nobody in particular). With `after`, only ids above it (so a scan in id order meets each pair once).
 */
export function candidatesFrom(
  keys: readonly string[],
  blockOf: (key: string) => readonly string[] | undefined,
  opts: { self?: string; after?: string; maxBlockSize: number },
): Set<string> {
  const out = new Set<string>();
  for (const key of keys) {
    const block = blockOf(key);
    if (!block || block.length > opts.maxBlockSize) continue;
    for (const id of block) if (id !== opts.self && (opts.after === undefined || id > opts.after)) out.add(id);
  }
  return out;
}
