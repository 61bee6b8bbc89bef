/**
 * The BSON an inserted document arrived in, kept from the insert until the journal frames the commit that stores
 * it, so that the journal copies those bytes instead of serialising the document again. Keyed by the document
 * object itself: a document the engine replaced or rebuilt is a different object and is serialised as before, and
 * an entry whose document was never stored goes with it.
 */
import { isCanonicalDocument } from '../values/bson-bytes';

const received = new WeakMap<object, Buffer>();

/**
 * Remembers the received bytes of `doc`, which must be the very object deserialised from them and stored
 * unchanged. They are copied: a view would keep the whole wire message alive until the commit.
 */
export function keepReceived(doc: object, bytes: Buffer): void {
  if (isCanonicalDocument(bytes)) received.set(doc, Buffer.from(bytes));
}

/** The received bytes of `doc`, forgotten as they are handed out (the document itself lives on in the store). */
export function takeReceived(doc: object): Buffer | undefined {
  const bytes = received.get(doc);
  if (bytes !== undefined) received.delete(doc);
  return bytes;
}
