import type { Binary } from 'fhir/r4';
import { buffer } from 'node:stream/consumers';
import type { BinaryBytes } from './byte-store';

/**
 * Bulk export of Binary (Bulk Data IG: Binary resources as NDJSON, content in `data`): a Binary whose bytes are in
 * GridFS is written with them as base64 `data`, up to `jsonLimit` bytes (what a FHIR JSON read inlines); a larger one
 * is written without `data`, to be read raw by its id. Other lines pass as they are.
 */
export function binaryExportLine(bytes: BinaryBytes, jsonLimit: number) {
  return async (type: string, text: string | Buffer): Promise<string | Buffer> => {
    if (type !== 'Binary') return text;
    const binary = JSON.parse(text.toString()) as Binary;
    if (binary.data !== undefined || binary.id === undefined) return text;
    const content = await bytes.open(binary.id, Number(binary.meta?.versionId));
    if (!content || content.size > jsonLimit) return text;
    return JSON.stringify({ ...binary, data: (await buffer(content.read())).toString('base64') });
  };
}
