/**
 * Serialising a reply whose cursor batch holds documents answered with their stored bytes (engine/stored-bytes.ts):
 * the envelope's elements are serialised as usual and the documents' bytes copied in where they go, giving the
 * bytes BSON.serialize would give for the same reply with the documents decoded.
 */
import { BSON } from 'bson';
import { StoredDocument } from '../engine/stored-bytes';
import { ARRAY, EMBEDDED_DOCUMENT, documentOf, element, serializedElement } from '../values/bson-elements';

type Doc = Record<string, unknown>;

function holdsStored(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.some((v) => v instanceof StoredDocument);
}

/** The reply's cursor when one of its batches holds stored documents. */
function storedCursor(reply: Doc): Doc | undefined {
  const cursor = reply.cursor as Doc | undefined;
  return cursor && (holdsStored(cursor.firstBatch) || holdsStored(cursor.nextBatch)) ? cursor : undefined;
}

function batch(name: string, docs: unknown[]): Buffer {
  const items = docs.map((d, i) => (d instanceof StoredDocument ? element(EMBEDDED_DOCUMENT, String(i), d.bytes) : serializedElement(String(i), d)));
  return element(ARRAY, name, documentOf(items));
}

export function serializeReply(reply: Doc): Uint8Array {
  const cursor = storedCursor(reply);
  if (!cursor) return BSON.serialize(reply);
  const cursorElements = Object.entries(cursor).map(([k, v]) => (holdsStored(v) ? batch(k, v) : serializedElement(k, v)));
  return documentOf(Object.entries(reply).map(([k, v]) => (v === cursor ? element(EMBEDDED_DOCUMENT, k, documentOf(cursorElements)) : serializedElement(k, v))));
}
