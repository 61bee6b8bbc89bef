import type { Basic, Extension } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';

/**
 * A legal hold as a `Basic` resource: code `legal-hold` in the server's own code system, `subject` the held
 * record (`Patient/[id]`) or resource, `created` the day it was placed, and extensions (profiles/fhirstone/ has
 * the code system and the search parameters over them):
 * - `legal-hold-matter` (valueString): the legal matter, e.g. a case number; searchable as `hold-matter` (token);
 * - `legal-hold-reason` (valueString): why it was placed;
 * - `legal-hold-status` (valueCode `open` | `released`); searchable as `hold-status`;
 * - `legal-hold-record` (valueReference, repeating): the Patient whose record the held resource belongs to (the
 *   record itself for a record hold); searchable as `hold-record`;
 * - `legal-hold-placed` (complex: `at` valueDateTime, `user` and `client` valueString): who placed it, when;
 * - `legal-hold-released` (complex: `at`, `user`, `client`, `reason`): who released it, when, why.
 */
export const RECORD_MANAGEMENT_SYSTEM = 'http://fhirstone.org/fhir/CodeSystem/record-management';
export const LEGAL_HOLD_CODE = 'legal-hold';
const SD = 'http://fhirstone.org/fhir/StructureDefinition/';
export const HOLD_EXTENSION = {
  matter: `${SD}legal-hold-matter`,
  reason: `${SD}legal-hold-reason`,
  status: `${SD}legal-hold-status`,
  record: `${SD}legal-hold-record`,
  placed: `${SD}legal-hold-placed`,
  released: `${SD}legal-hold-released`,
} as const;

/** Who placed or released a hold, and when. */
export interface HoldAct {
  at: string;
  /** The token's user (fhirUser or subject), when there is one. */
  user?: string;
  /** The client that asked. */
  client?: string;
  /** Why (a release's reason). */
  reason?: string;
}

export interface Hold {
  /** The Basic's id. */
  id: string;
  /** The held record (`Patient/[id]`) or resource (`Type/[id]`). */
  subject: string;
  /** Patients whose records it holds (a resource hold: the patients the held resource belongs to). */
  records: string[];
  matter: string;
  reason: string;
  status: 'open' | 'released';
  placed: HoldAct;
  released?: HoldAct;
}

/** How a hold is named in a refusal or a report: `Basic/x (matter M)`. */
export const holdLabel = (h: Pick<Hold, 'id' | 'matter'>) => `Basic/${h.id} (matter ${JSON.stringify(h.matter)})`;

/** Is `resource` a legal hold (of this server's code system)? */
export function isHoldResource(resource: { resourceType?: string; code?: Basic['code'] } | undefined): boolean {
  return resource?.resourceType === 'Basic' && (resource.code?.coding ?? []).some((c) => c.system === RECORD_MANAGEMENT_SYSTEM && c.code === LEGAL_HOLD_CODE);
}

/** The who of an act, from the caller's policy (protected mode has no client to name). */
export function actOf(policy: AccessPolicy, at: Date, reason?: string): HoldAct {
  return {
    at: at.toISOString(),
    ...(policy.user ? { user: policy.user } : {}),
    client: policy.clientId ?? (policy.unrestricted ? 'local client (protected mode)' : 'unknown client'),
    ...(reason !== undefined ? { reason } : {}),
  };
}

function actExtension(url: string, act: HoldAct): Extension {
  const parts: Extension[] = [{ url: 'at', valueDateTime: act.at }];
  if (act.user) parts.push({ url: 'user', valueString: act.user });
  if (act.client) parts.push({ url: 'client', valueString: act.client });
  if (act.reason !== undefined) parts.push({ url: 'reason', valueString: act.reason });
  return { url, extension: parts };
}

/** A new open hold on `subject` (`Type/id`), holding the records of `records` (patient ids). */
export function newHold(subject: string, records: readonly string[], matter: string, reason: string, placed: HoldAct): Basic {
  return {
    resourceType: 'Basic',
    code: { coding: [{ system: RECORD_MANAGEMENT_SYSTEM, code: LEGAL_HOLD_CODE, display: 'Legal hold' }], text: 'Legal hold' },
    subject: { reference: subject },
    created: placed.at.slice(0, 10),
    extension: [
      { url: HOLD_EXTENSION.matter, valueString: matter },
      { url: HOLD_EXTENSION.reason, valueString: reason },
      { url: HOLD_EXTENSION.status, valueCode: 'open' },
      ...records.map((id) => ({ url: HOLD_EXTENSION.record, valueReference: { reference: `Patient/${id}` } })),
      actExtension(HOLD_EXTENSION.placed, placed),
    ],
  };
}

/** `basic` released by `act` (its status released, the release recorded; nothing else changes). */
export function releasedHold(basic: Basic, act: HoldAct): Basic {
  const extension = (basic.extension ?? []).map((e) => (e.url === HOLD_EXTENSION.status ? { url: e.url, valueCode: 'released' } : e));
  return { ...basic, extension: [...extension, actExtension(HOLD_EXTENSION.released, act)] };
}

function actOfExtension(e: Extension | undefined): HoldAct | undefined {
  if (!e) return undefined;
  const part = (url: string) => e.extension?.find((x) => x.url === url);
  return {
    at: part('at')?.valueDateTime ?? '',
    ...(part('user')?.valueString ? { user: part('user')!.valueString } : {}),
    ...(part('client')?.valueString ? { client: part('client')!.valueString } : {}),
    ...(part('reason')?.valueString !== undefined ? { reason: part('reason')!.valueString } : {}),
  };
}

/** The hold a stored legal-hold Basic records. */
export function holdOf(basic: Basic): Hold {
  const ext = (url: string) => (basic.extension ?? []).filter((e) => e.url === url);
  return {
    id: basic.id as string,
    subject: basic.subject?.reference ?? '',
    records: ext(HOLD_EXTENSION.record).flatMap((e) => (e.valueReference?.reference?.startsWith('Patient/') ? [e.valueReference.reference.slice(8)] : [])),
    matter: ext(HOLD_EXTENSION.matter)[0]?.valueString ?? '',
    reason: ext(HOLD_EXTENSION.reason)[0]?.valueString ?? '',
    status: ext(HOLD_EXTENSION.status)[0]?.valueCode === 'released' ? 'released' : 'open',
    placed: actOfExtension(ext(HOLD_EXTENSION.placed)[0]) ?? { at: '' },
    released: actOfExtension(ext(HOLD_EXTENSION.released)[0]),
  };
}
