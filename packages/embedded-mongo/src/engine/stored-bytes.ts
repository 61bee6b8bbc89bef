/**
 * The BSON each document read from the store was decoded from, so that a find answers with those bytes instead of
 * measuring and serialising the decoded document again (together about 30 µs for a 2 KB FHIR document, more than
 * decoding it costs). Stored bytes are canonical: what BSON.serialize writes for the document the wire decodes from
 * them (collection.ts stores received bytes only when values/bson-bytes.ts finds them so, else serialises), so the
 * reply holds the same values serialising would give.
 *
 * Keyed by the decoded object itself: a document the engine builds from it (an update's clone, an aggregation stage
 * that changes documents, which copies them first) is another object and has no stored bytes.
 */
import { elementsOf } from '../values/bson-bytes';
import { documentOf, serializedElement } from '../values/bson-elements';

type Doc = Record<string, unknown>;

const stored = new WeakMap<object, Buffer>();

export function rememberStored(doc: object, bytes: Buffer): void {
  stored.set(doc, bytes);
}

export function storedBytesOf(doc: object): Buffer | undefined {
  return stored.get(doc);
}

/** A cursor batch's entry answered with bytes built from its stored ones (wire/reply-bytes.ts writes it). */
export class StoredDocument {
  constructor(readonly bytes: Buffer) {}
}

/**
 * The bytes of `projected`, a plain projection of the stored document `source` (it holds some of `source`'s
 * top-level values, or copies of them with parts left out): each value it holds unchanged is copied from the stored
 * bytes, the others (dotted paths) are serialised. Undefined when the stored bytes cannot be walked.
 */
export function projectedBytes(bytes: Buffer, source: Doc, projected: Doc): Buffer | undefined {
  const elements = elementsOf(bytes);
  if (!elements) return undefined;
  return documentOf(Object.entries(projected).map(([k, v]) => (v === source[k] && elements.get(k)) || serializedElement(k, v)));
}
