import { createHash } from 'node:crypto';
import type { AuditEvent, Extension } from 'fhir/r4';
import { canonicalJson } from './canonical-json';

/**
 * The tamper-evidence of the audit trail. Every stored AuditEvent carries an extension
 *
 *   { url: CHAIN_EXTENSION_URL, extension: [ {url: 'sequence', valueDecimal: n},
 *                                            {url: 'previous', valueString: <hash of event n-1>},
 *                                            {url: 'hash',     valueString: <hash of this event>} ] }
 *
 * where hash = hex SHA-256 of (previous + "\n" + the RFC 8785 canonical JSON of the event without the `hash` part).
 * The event text covered includes id, meta, sequence and previous, so changing, removing, reordering or inserting
 * an event breaks a link that anyone holding the events can recompute. (The sequence is a decimal because it
 * outgrows FHIR's 32-bit integer on a busy server.)
 */
export const CHAIN_EXTENSION_URL = 'http://fhirstone.org/fhir/StructureDefinition/audit-hash-chain';
export const GENESIS_HASH = '0'.repeat(64);

/** Event ids are the zero-padded sequence, so ids sort in chain order and two writers collide on the same id. */
const ID_PREFIX = 'audit-';
const ID_DIGITS = 16;
export const idForSequence = (seq: number) => `${ID_PREFIX}${String(seq).padStart(ID_DIGITS, '0')}`;
export const CHAIN_ID_RANGE = { $gte: `${ID_PREFIX}0`, $lte: `${ID_PREFIX}9~` };

export function sequenceOfId(id: string): number | undefined {
  if (!id.startsWith(ID_PREFIX) || id.length !== ID_PREFIX.length + ID_DIGITS) return undefined;
  const digits = id.slice(ID_PREFIX.length);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

export interface ChainLink {
  sequence: number;
  previous: string;
  hash: string;
}

function digest(previous: string, eventWithoutHash: AuditEvent): string {
  return createHash('sha256')
    .update(`${previous}\n${canonicalJson(eventWithoutHash)}`)
    .digest('hex');
}

/** Adds id, the chain extension and its hash to `event` (which must not carry a chain extension yet). */
export function chainEvent(event: AuditEvent, sequence: number, previous: string, lastUpdated: Date): AuditEvent {
  const link: Extension = {
    url: CHAIN_EXTENSION_URL,
    extension: [
      { url: 'sequence', valueDecimal: sequence },
      { url: 'previous', valueString: previous },
    ],
  };
  const unsealed: AuditEvent = {
    ...event,
    id: idForSequence(sequence),
    meta: { ...event.meta, versionId: '1', lastUpdated: lastUpdated.toISOString() },
    extension: [...(event.extension ?? []).filter((e) => e.url !== CHAIN_EXTENSION_URL), link],
  };
  link.extension!.push({ url: 'hash', valueString: digest(previous, unsealed) });
  return unsealed;
}

/** The link an event claims, or undefined when it carries no well-formed chain extension. */
export function readLink(event: AuditEvent): ChainLink | undefined {
  const ext = event.extension?.find((e) => e.url === CHAIN_EXTENSION_URL);
  const part = (name: string) => ext?.extension?.find((e) => e.url === name);
  const sequence = part('sequence')?.valueDecimal;
  const previous = part('previous')?.valueString;
  const hash = part('hash')?.valueString;
  if (typeof sequence !== 'number' || typeof previous !== 'string' || typeof hash !== 'string') return undefined;
  return { sequence, previous, hash };
}

/** Recomputes the hash an event should carry from its content (the stored `hash` part left out). */
export function recomputeHash(event: AuditEvent): string | undefined {
  const link = readLink(event);
  if (!link) return undefined;
  const unsealed: AuditEvent = {
    ...event,
    extension: event.extension?.map((e) => (e.url === CHAIN_EXTENSION_URL ? { ...e, extension: e.extension?.filter((p) => p.url !== 'hash') } : e)),
  };
  return digest(link.previous, unsealed);
}

/** The event as it was before `chainEvent` (no id, chain link or server meta): what its search index was built from. */
export function unchainedContent(event: AuditEvent): AuditEvent {
  const { id: _id, meta, extension, ...rest } = event;
  const { versionId: _v, lastUpdated: _l, ...ownMeta } = meta ?? {};
  const own = (extension ?? []).filter((e) => e.url !== CHAIN_EXTENSION_URL);
  return { ...rest, ...(Object.keys(ownMeta).length ? { meta: ownMeta } : {}), ...(own.length ? { extension: own } : {}) } as AuditEvent;
}
