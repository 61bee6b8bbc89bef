import { createHash } from 'node:crypto';
import type { Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { patientAccessOf } from '../fhir/patient-access';
import { collectReferences } from '../fhir/references';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import { normalizeReference } from '../search/types/reference';
import { allOf } from '../store/policy-filter';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';

type DocFilter = Filter<StoredDocument>;

/**
 * The resources a patient's record references that belong to no patient (Practitioner, Organization, Location,
 * Medication, ...): `$everything` returns them beside the record, each page those its own resources reference.
 * Which types qualify follows the per-type patient rule (src/fhir/patient-access.ts): shared types and Binary
 * always (the repository applies the caller's policy, a Binary's securityContext included); types that hold
 * patient data (Encounter, Device, ...) only for a resource that belongs to no patient, so another patient's data
 * is never reached this way; hidden types (Bundle, Linkage, ...) never.
 */

/** A resource that names no patient in its stored compartments. */
const BELONGS_TO_NO_PATIENT: DocFilter = { c: { $not: /^Patient\// } };

/** What a referenced resource of `type` must match to be returned; undefined when no resource of it may be. */
export function referableFilter(type: string): DocFilter | undefined {
  switch (patientAccessOf(type).kind) {
    case 'shared':
    case 'security-context':
      return {};
    case 'hidden':
      return undefined;
    default:
      return BELONGS_TO_NO_PATIENT;
  }
}

/** May a resource of `type` be returned as a referenced one? */
export function isReferable(type: string): boolean {
  return referableFilter(type) !== undefined;
}

const LOCAL = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9.-]{1,64})$/;

/** `Type/id` of every local reference in `resource` to a type that may be returned as a referenced one. */
export function referencesOf(resource: Resource, baseUrl: string): string[] {
  const out: string[] = [];
  for (const raw of collectReferences(resource)) {
    const ref = normalizeReference(raw, baseUrl);
    const m = ref === undefined ? null : LOCAL.exec(ref);
    if (m && R4_RESOURCE_TYPES.has(m[1]) && isReferable(m[1])) out.push(ref as string);
  }
  return out;
}

/**
 * The referenced resources already sent by earlier pages, carried in the page token: 64-bit hashes of `Type/id`,
 * the most recently referenced last. It holds at most SENT_CAPACITY: a record referencing more distinct shared
 * resources may see one again on a later page (as FHIR allows for included resources), never miss one. A hash
 * collision (one in 2^64 per pair) would leave a resource out.
 */
export const SENT_CAPACITY = 128;
const HASH_BYTES = 8;

export class SentReferences {
  private readonly hashes: string[];

  constructor(state?: string) {
    const bytes = state ? Buffer.from(state, 'base64url') : Buffer.alloc(0);
    this.hashes = [];
    for (let i = 0; i + HASH_BYTES <= bytes.length && this.hashes.length < SENT_CAPACITY; i += HASH_BYTES) {
      this.hashes.push(bytes.subarray(i, i + HASH_BYTES).toString('hex'));
    }
  }

  private static hash(ref: string): string {
    return createHash('sha256').update(ref).digest().subarray(0, HASH_BYTES).toString('hex');
  }

  has(ref: string): boolean {
    return this.hashes.includes(SentReferences.hash(ref));
  }

  /** Records `ref` as sent, or as referenced again (it moves to the most recent end). */
  add(ref: string): void {
    const h = SentReferences.hash(ref);
    const i = this.hashes.indexOf(h);
    if (i >= 0) this.hashes.splice(i, 1);
    this.hashes.push(h);
    if (this.hashes.length > SENT_CAPACITY) this.hashes.splice(0, this.hashes.length - SENT_CAPACITY);
  }

  /** The state for the next page's token. */
  encode(): string {
    return Buffer.from(this.hashes.join(''), 'hex').toString('base64url');
  }
}

export interface ReferencedRow {
  type: string;
  doc: StoredDocument;
}

/**
 * Reads the referenced resources of `refs` not sent before (each once, whatever refers to it how often), of the
 * types `emits` allows, each type's with one query by `_id` through the caller's repository (read access, as an
 * `_include` reads). Every ref asked for is recorded as sent, found or not, so later pages do not ask again.
 */
export async function fetchReferenced(
  repo: Repository,
  refs: readonly string[],
  sent: SentReferences,
  emits: (type: string) => boolean,
  filter: (type: string) => DocFilter | undefined,
): Promise<ReferencedRow[]> {
  const byType = new Map<string, Set<string>>();
  for (const ref of refs) {
    const [type, id] = ref.split('/');
    if (!emits(type)) continue;
    const before = sent.has(ref);
    sent.add(ref);
    if (before) continue;
    const ids = byType.get(type) ?? new Set<string>();
    byType.set(type, ids.add(id));
  }
  const rows: ReferencedRow[] = [];
  for (const [type, ids] of [...byType].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const query = allOf<StoredDocument>({ _id: { $in: [...ids] } }, referableFilter(type) ?? {}, filter(type) ?? {});
    for await (const doc of repo.find(type, query, { sort: { _id: 1 }, projection: { _id: 1, r: 1, c: 1 }, access: 'read' })) rows.push({ type, doc });
  }
  return rows;
}
