/** An older data directory, as the in-memory engine left it, for the tests of its migration into the store. */
import fs from 'node:fs';
import path from 'node:path';
import type { JournalRecord } from '../../src/engine/engine';
import { frame } from '../../src/storage/record-file';
import { encodeKey } from '../../src/values/key-encoding';

/**
 * The in-memory engine's files: a snapshot of 50 documents (each with `pad`), then the journal after it with a torn
 * tail. Returns their bytes.
 */
export function writeOlderDataDir(dir: string, pad = ''): number {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const snapshot: JournalRecord[] = [
    { ts: 3, cat: 'create', ns: 'db.c', options: {} },
    { ts: 3, cat: 'index', ns: 'db.c', spec: { v: 2, key: { k: 1 }, name: 'k_1' } },
    { ts: 3, ops: Array.from({ length: 50 }, (_, i) => ({ ns: 'db.c', d: { _id: i, k: i % 5, tags: [`t${i}`], ...(pad && { pad }) } })) },
    // An index image (the in-memory indexes' entries): the store builds its own.
    { ts: 3, cat: 'keys', ns: 'db.c', name: 'k_1' },
  ];
  const journal: JournalRecord[] = [
    { ts: 4, ops: [{ ns: 'db.c', k: encodeKey(0) }] },
    { ts: 5, ops: [{ ns: 'db.c', d: { _id: 1, k: 9, tags: ['replaced'] } }] },
    { ts: 6, cat: 'create', ns: 'db.gone', options: {} },
    { ts: 7, cat: 'drop', ns: 'db.gone' },
  ];
  fs.writeFileSync(path.join(dir, 'snapshot-1.bson'), Buffer.concat(snapshot.map(frame)), { mode: 0o600 });
  // A torn tail: a record cut short by a crash, never acknowledged.
  fs.writeFileSync(path.join(dir, 'journal-1.log'), Buffer.concat([...journal.map(frame), Buffer.from([200, 0, 0, 0, 1, 2])]), { mode: 0o600 });
  return fs.statSync(path.join(dir, 'snapshot-1.bson')).size + fs.statSync(path.join(dir, 'journal-1.log')).size;
}
