/**
 * Writing BSON from pieces: documents of elements some of which are copied from stored bytes, the rest serialised.
 * Each serialised element is what BSON.serialize writes for it inside a document, so a document assembled here is
 * the one BSON.serialize would give for the same values.
 */
import { BSON } from 'bson';

export const EMBEDDED_DOCUMENT = 0x03;
export const ARRAY = 0x04;

/** A document of `elements`: its length, the elements, the terminating zero. */
export function documentOf(elements: Buffer[]): Buffer {
  const length = 4 + elements.reduce((n, e) => n + e.length, 0) + 1;
  const head = Buffer.allocUnsafe(4);
  head.writeInt32LE(length, 0);
  return Buffer.concat([head, ...elements, Buffer.alloc(1)], length);
}

/** The element `name` of type `type` whose value is `value`'s bytes. */
export function element(type: number, name: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.of(type), Buffer.from(`${name}\0`, 'utf8'), value]);
}

/** The element `name` holding `value`, as BSON.serialize writes it inside a document. */
export function serializedElement(name: string, value: unknown): Buffer {
  const doc = BSON.serialize({ [name]: value });
  return Buffer.from(doc.buffer, doc.byteOffset + 4, doc.length - 5);
}
