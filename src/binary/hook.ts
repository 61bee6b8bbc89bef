import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Attachment, Binary, Resource } from 'fhir/r4';
import { unprocessable } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';
import type { PrepareEvent, WriteHook } from '../store/write-hooks';
import { attachmentsOf } from './attachments';
import type { BinaryBytes, StoredBytes } from './byte-store';
import { contentOf, sha1Base64 } from './content';

export interface BinaryHookOptions {
  bytes: BinaryBytes;
  /** Inline data over this many bytes leaves the resource's text (ATTACHMENT_INLINE_LIMIT). */
  inlineLimit: number;
}

/** `Binary/<id>` (relative, as this server stores references), or this server's base URL before it. */
const BINARY_URL = /(?:^|\/)Binary\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * Keeps large content out of resource text, whatever the write path (REST, PATCH, bundle entries, operations), in
 * the write's transaction:
 * - a Binary whose `data` is over the inline limit has its bytes moved to GridFS as that version's;
 * - an Attachment (any element R4 types so, src/binary/attachments.ts) whose `data` is over it becomes a Binary of
 *   its own (`securityContext` the resource it came from, so it is readable exactly when that resource is), and the
 *   attachment points to it: `url` `Binary/<id>`, `size`, `hash` (SHA-1, base64);
 * - an attachment's `size` and `hash`, when the client gave them, must fit its data, or the bytes of the Binary of
 *   this server its `url` names: otherwise 422.
 */
export function binaryHook(opts: BinaryHookOptions): WriteHook {
  return {
    name: 'binary-content',
    writes: ['Binary'],
    prepare: (repo, event) => (event.type === 'Binary' ? moveBinaryData(opts, repo, event) : moveAttachments(opts, repo, event)),
  };
}

async function moveBinaryData(opts: BinaryHookOptions, repo: Repository, event: PrepareEvent): Promise<Resource | undefined> {
  const binary = event.resource as Binary;
  if (binary.data === undefined) return undefined;
  const data = Buffer.from(binary.data, 'base64');
  if (data.length <= opts.inlineLimit) return undefined;
  const upload = await opts.bytes.upload(Readable.from([data]), Infinity);
  await opts.bytes.link(upload, event.id, event.vid, repo.sessionOptions);
  const { data: _moved, ...rest } = binary;
  return rest;
}

async function moveAttachments(opts: BinaryHookOptions, repo: Repository, event: PrepareEvent): Promise<Resource | undefined> {
  const moving: number[] = [];
  let index = 0;
  for (const attachment of attachmentsOf(event.resource)) {
    const which = `attachment ${index + 1} of ${event.type}/${event.id}`;
    if (attachment.data !== undefined) {
      const data = Buffer.from(attachment.data, 'base64');
      checkFacts(attachment, data.length, () => sha1Base64(data), `the data of ${which}`);
      if (data.length > opts.inlineLimit) moving.push(index);
    } else if (attachment.url !== undefined && (attachment.size !== undefined || attachment.hash !== undefined)) {
      const stored = await localBinaryBytes(opts.bytes, repo, attachment.url);
      if (stored) checkFacts(attachment, stored.size, () => stored.sha1, `${attachment.url} (${which})`);
    }
    index++;
  }
  if (moving.length === 0) return undefined;
  // A copy: the driver may run the transaction again with the same input, which must still hold its data.
  const resource = structuredClone(event.resource);
  const attachments = [...attachmentsOf(resource)];
  for (const i of moving) await moveToBinary(repo, event, attachments[i]);
  return resource;
}

/** 422 when the attachment's `size` or `hash` differs from the bytes it stands for. */
function checkFacts(attachment: Attachment, size: number, sha1: () => string, what: string): void {
  if (attachment.size !== undefined && attachment.size !== size) {
    throw unprocessable(`Attachment size ${attachment.size} does not match the ${size} bytes of ${what}`);
  }
  if (attachment.hash !== undefined && attachment.hash !== sha1()) {
    throw unprocessable(`Attachment hash ${attachment.hash} is not the SHA-1 (base64) of ${what}, ${sha1()}`);
  }
}

/** The current bytes of the Binary of this server `url` names, when the caller may read it. */
async function localBinaryBytes(bytes: BinaryBytes, repo: Repository, url: string): Promise<StoredBytes | undefined> {
  const id = BINARY_URL.exec(url)?.[1];
  if (!id || !repo.policy.allows('Binary', 'read')) return undefined;
  const doc = await repo.read('Binary', id).catch(() => undefined);
  return doc ? contentOf(bytes, JSON.parse(doc.r) as Binary, id, doc.vid, repo.sessionOptions) : undefined;
}

/** Stores the attachment's data as a new Binary (whose own write moves it to GridFS) and points the attachment at it. */
async function moveToBinary(repo: Repository, event: PrepareEvent, attachment: Attachment): Promise<void> {
  const data = Buffer.from(attachment.data!, 'base64');
  const id = randomUUID();
  const binary: Binary = {
    resourceType: 'Binary',
    contentType: attachment.contentType ?? 'application/octet-stream',
    securityContext: { reference: `${event.type}/${event.id}` },
    data: attachment.data,
  };
  // The server's own record of the caller's content: no Binary grant asked of the caller, nor an entry in its trail.
  await repo.privileged().create('Binary', binary, id);
  delete attachment.data;
  Object.assign(attachment, { url: `Binary/${id}`, size: data.length, hash: sha1Base64(data) });
}
