/**
 * Index entries in a snapshot, so start-up loads each index ready-sorted instead of recomputing every key from the
 * documents. After a collection's documents, a snapshot holds for each of its indexes records of consecutive
 * entries in key order: the keys' bytes, their lengths, how many documents hold each key and those documents'
 * positions among the collection's documents in the snapshot.
 *
 * The entries come from a copy-on-write image of the index taken with the documents (the tree cloned, shared id sets
 * frozen, each with the length of the prefix the image holds), so they match the documents exactly even though the
 * snapshot is written over many turns while writes go on; those writes are in the journal that starts at the
 * snapshot and are replayed on the loaded index.
 */
import { Binary } from 'bson';
import type { JournalRecord } from '../engine/engine';
import type { IndexImage } from '../engine/secondary-index';

/**
 * Keys and document positions per record: keeps records a few MB, far below BSON's 16 MB. A key held by more
 * documents than a record takes (a status every resource shares) continues in the next record.
 */
const KEYS_PER_RECORD = 20_000;
const ORDS_PER_RECORD = 65_536;

export interface IndexImageRecord extends JournalRecord {
  cat: 'keys';
  ns: string;
  name: string;
  /** Per field, the path prefixes where documents had arrays (first record of an index only). */
  multikey?: number[][];
  keys: Binary;
  lens: Binary;
  counts: Binary;
  ords: Binary;
}

const u32 = (values: number[]) => new Binary(Buffer.from(new Uint32Array(values).buffer));

/**
 * The records of one index image; `positions` maps a document id to its place among the snapshot's documents. Keys
 * are in order; only a record's first key may repeat the previous record's last one (a split id set).
 */
export function* imageRecords(ts: number, ns: string, name: string, image: IndexImage, positions: Map<string, number>): Generator<JournalRecord> {
  let first = true;
  let keys: string[] = [];
  let counts: number[] = [];
  let ords: number[] = [];
  const flush = (): JournalRecord => {
    const bytes = Buffer.from(keys.join(''), 'latin1');
    const rec: IndexImageRecord = { ts, cat: 'keys', ns, name, keys: new Binary(bytes), lens: u32(keys.map((k) => k.length)), counts: u32(counts), ords: u32(ords) };
    if (first) rec.multikey = image.multikey;
    first = false;
    keys = [];
    counts = [];
    ords = [];
    return rec;
  };
  for (const [key, ids] of image.tree.entries()) {
    let n = 0;
    let imaged = typeof ids === 'string' ? 1 : image.sizes.get(ids)!;
    for (const id of typeof ids === 'string' ? [ids] : ids) {
      // A shared set may have grown since the image was taken: its ids of then are the first ones.
      if (imaged-- === 0) break;
      // Ids written after the snapshot was taken have no document in it: the journal adds them back.
      const at = positions.get(id);
      if (at === undefined) continue;
      ords.push(at);
      n++;
      if (ords.length >= ORDS_PER_RECORD) {
        keys.push(key);
        counts.push(n);
        n = 0;
        yield flush();
      }
    }
    if (n === 0) continue;
    keys.push(key);
    counts.push(n);
    if (keys.length >= KEYS_PER_RECORD) yield flush();
  }
  if (keys.length > 0 || first) yield flush();
}

function uint32s(b: Binary): Uint32Array {
  // Copied into a fresh ArrayBuffer: the decoded bytes need not be 4-byte aligned, and a Buffer's `slice` would
  // share (pooled) memory rather than copy.
  const copy = new Uint8Array(b.position & ~3);
  copy.set(b.buffer.subarray(0, copy.length));
  return new Uint32Array(copy.buffer);
}

export function isIndexImageRecord(rec: JournalRecord): rec is IndexImageRecord {
  return rec.cat === 'keys';
}

/** Decodes one record: its keys in order and, per key, the id (or ids) of `ids[position]`. */
export function readImageRecord(rec: IndexImageRecord, ids: string[]): { keys: string[]; values: Array<string | string[]> } {
  const bytes = Buffer.from(rec.keys.buffer.buffer, rec.keys.buffer.byteOffset, rec.keys.position);
  const lens = uint32s(rec.lens);
  const counts = uint32s(rec.counts);
  const ords = uint32s(rec.ords);
  const keys: string[] = [];
  const values: Array<string | string[]> = [];
  let off = 0;
  let o = 0;
  for (let i = 0; i < lens.length; i++) {
    const key = bytes.toString('latin1', off, off + lens[i]);
    off += lens[i];
    const holders: string[] = [];
    for (let c = 0; c < counts[i]; c++) {
      const id = ids[ords[o++]];
      if (id !== undefined) holders.push(id);
    }
    if (holders.length === 0) continue;
    keys.push(key);
    values.push(holders.length === 1 ? holders[0] : holders);
  }
  return { keys, values };
}
