import type { ClientSession, Db, Filter, FindCursor, FindOptions } from 'mongodb';
import { NOTHING, allOf } from './policy-filter';
import { type HistoryDocument, type StoredDocument, WITHOUT_SEARCH_INDEX, historyCollectionName, historyDocumentOf } from './stored-document';

/**
 * Types whose stored instances cannot be rewritten through the API: only create and read (the audit trail,
 * IHE BALP, HIPAA audit controls). The router refuses the other writes; the CapabilityStatement leaves them out.
 *
 * The store relies on that: the history of such an instance is its current document (version 1, created), so no
 * `T_history` collection is written for these types and vread and `_history` are answered from `T` itself. For
 * the audit trail that is one document written per request instead of two.
 */
export const APPEND_ONLY_TYPES: ReadonlySet<string> = new Set(['AuditEvent']);

/** Whether `type`'s versions are served from its current collection (it has no history collection). */
export const historyIsCurrent = (type: string): boolean => APPEND_ONLY_TYPES.has(type);

/** The collection that answers vread and `_history` for `type` (what a transaction must flush before reading). */
export const historySourceName = (type: string): string => (historyIsCurrent(type) ? type : historyCollectionName(type));

/**
 * History documents of `type` matching `filter` (a filter on the HistoryDocument fields): from `T_history`, or
 * for an append-only type from `T` with the filter rewritten and each document shaped as its version. Sorting by
 * `{lu, _id}` then orders the same way in both (see `currentKey`), served by the `lastUpdated` index read backwards.
 */
export function findHistory(db: Db, type: string, filter: Filter<HistoryDocument>, session?: ClientSession, options: FindOptions = {}): FindCursor<HistoryDocument> {
  if (!historyIsCurrent(type)) return db.collection<HistoryDocument>(historyCollectionName(type)).find(filter, { ...options, session });
  return (
    db
      .collection<StoredDocument>(type)
      .find(currentFilter(filter), { ...options, session, projection: WITHOUT_SEARCH_INDEX })
      // The current document is the one version of its history, created.
      .map((doc) => historyDocumentOf(doc, 'create'))
  );
}

/** `findOne` over `findHistory`: the first match in one batch, the cursor closed. */
export async function findOneHistory(db: Db, type: string, filter: Filter<HistoryDocument>, session?: ClientSession): Promise<HistoryDocument | null> {
  const cursor = findHistory(db, type, filter, session, { singleBatch: true }).limit(1);
  try {
    return await cursor.next();
  } finally {
    await cursor.close();
  }
}

/** Fields a history document shares with the current one, under the same name and with the same values. */
const SAME_FIELDS: ReadonlySet<string> = new Set(['vid', 'lu', 'del', 'c']);
const RANGE_OPERATORS: ReadonlySet<string> = new Set(['$lt', '$lte', '$gt', '$gte']);

/** A HistoryDocument filter as the equivalent filter on the current documents of an append-only type. */
export function currentFilter(filter: Filter<HistoryDocument>): Filter<StoredDocument> {
  const parts = Object.entries(filter as Record<string, unknown>).map(([key, value]): Filter<StoredDocument> => {
    if (key === '$and' || key === '$or' || key === '$nor') return { [key]: (value as Filter<HistoryDocument>[]).map(currentFilter) };
    if (key === 'id') return { _id: value as string };
    if (key === '_id') return versionKeyFilter(value);
    if (SAME_FIELDS.has(key) || key.startsWith('c.')) return { [key]: value } as Filter<StoredDocument>;
    throw new Error(`internal: no history of an append-only type is queried by ${key}`);
  });
  return allOf(...parts);
}

/**
 * A version key `id/vid` as the current document's `_id` (and `vid`, for an exact key). Range bounds drop the
 * `/vid`: that orders ids as `id/1` does as long as no id is a prefix of another one (with `-` or `.` after it),
 * which holds for the ids append-only types get (the audit trail's fixed-width sequence numbers).
 */
function versionKeyFilter(value: unknown): Filter<StoredDocument> {
  if (typeof value === 'string') return exactKey(value);
  const ops = Object.entries(value as Record<string, unknown>);
  if (ops.length === 1 && ops[0][0] === '$in' && Array.isArray(ops[0][1])) {
    const keys = (ops[0][1] as string[]).map(exactKey);
    return keys.length === 0 ? NOTHING : keys.length === 1 ? keys[0] : { $or: keys };
  }
  if (ops.every(([op, v]) => RANGE_OPERATORS.has(op) && typeof v === 'string')) {
    return { _id: Object.fromEntries(ops.map(([op, v]) => [op, currentKey(v as string)])) };
  }
  throw new Error(`internal: no history of an append-only type is queried by _id ${JSON.stringify(value)}`);
}

function exactKey(key: string): Filter<StoredDocument> {
  const m = /^(.*)\/(\d+)$/.exec(key);
  return m ? { _id: m[1], vid: Number(m[2]) } : NOTHING;
}

const currentKey = (key: string): string => key.replace(/\/\d+$/, '');
