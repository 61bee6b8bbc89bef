import type { AuditEvent, AuditEventEntity, AuditEventEntityDetail } from 'fhir/r4';
import { GeneralEncrypt, generalDecrypt, type GeneralJWE } from 'jose';
import { ORIGIN_SYSTEM } from './origin';

/**
 * Crypto-shredding of what an AuditEvent keeps that can name a person: the query of a search or operation
 * (`Patient?family=Smith`, an identifier). The trail stores it encrypted, as a JWE (General JSON serialisation,
 * A256KW key wrapping, A256GCM content) in the Query entity's `query`, with one recipient per patient the event
 * names, under that patient's key (`Patient/<id>`; text naming no patient: the `server` key). The description keeps
 * the path and the parameter names, never their values. Destroying a record shreds its patient's key
 * (src/store/record-keys.ts): the text of its events can no longer be read, by anyone, from the database or any
 * backup of it, while the events and the hash chain over the stored ciphertext stay as they were. An event naming
 * several patients stays readable while one of their keys exists (the query was about all of them).
 * `AuditEvent/[id]/$query-text` reads a query back for a caller allowed to read the event.
 *
 * An entity's details in text (`valueString`: a legal hold's matter and reason, which name the patient's legal
 * business) are sealed the same way: the detail keeps its `type`, its value becomes `valueBase64Binary` (the JWE),
 * marked with the same extension; `$query-text` reads them back as `detail` parts. So is the explanation of an
 * event that names a patient (`outcomeDesc` `HTTP 409: <why>`: a refusal may quote a hold's matter or a value the
 * request sent): the status stays in clear (`HTTP 409: …`), the why goes sealed into the extension of `_outcomeDesc`.
 */
export const SEALED_QUERY_URL = 'http://fhirstone.org/fhir/StructureDefinition/audit-query-sealed';
const QUERY_ROLE = '24';
const PATIENT_ROLE = '1';
const SERVER_OWNER = 'server';

export interface QueryKeys {
  /** Keys of these owners, made when missing; undefined for one whose key was shredded. */
  keysFor(owners: readonly string[]): Promise<Map<string, Buffer | undefined>>;
  /** The keys as stored, none made. */
  lookup(owners: readonly string[]): Promise<Map<string, Buffer | undefined>>;
}

const sealedMark = (x: { extension?: Array<{ url: string }> }) => (x.extension ?? []).some((e) => e.url === SEALED_QUERY_URL);
const isQuery = (e: AuditEventEntity) => e.role?.code === QUERY_ROLE && e.query !== undefined && !sealedMark(e);
const isOpenDetail = (d: AuditEventEntityDetail) => d.valueString !== undefined && !sealedMark(d);
const hasOpenText = (e: AuditEventEntity) => isQuery(e) || (e.detail ?? []).some(isOpenDetail);
const OUTCOME = /^(HTTP \d{3}): ([\s\S]+)$/;
/** The why of an event's outcome, when it names patients and has not been sealed yet. */
const openOutcome = (e: AuditEvent) =>
  (e._outcomeDesc && sealedMark(e._outcomeDesc)) || ownersOf(e)[0] === SERVER_OWNER ? undefined : OUTCOME.exec(e.outcomeDesc ?? '');

/** Owners of the keys an event's text is sealed under: the patients it names, or the server. */
function ownersOf(event: AuditEvent): string[] {
  const patients = (event.entity ?? []).filter((e) => e.role?.code === PATIENT_ROLE && e.what?.reference?.startsWith('Patient/')).map((e) => e.what!.reference!);
  return patients.length ? [...new Set(patients)] : [SERVER_OWNER];
}

/** `Patient?family=Smith&_count=5` as `Patient?family=…&_count=…`: what was asked, not of whom. */
export function redactedQuery(text: string): string {
  const at = text.indexOf('?');
  if (at < 0) return text;
  const names = [...new URLSearchParams(text.slice(at + 1)).keys()];
  return `${text.slice(0, at)}?${names.map((n) => `${n}=…`).join('&')}`;
}

async function seal(text: string, keys: ReadonlyArray<[string, Buffer]>): Promise<string | undefined> {
  if (keys.length === 0) return undefined;
  const jwe = new GeneralEncrypt(new TextEncoder().encode(text)).setProtectedHeader({ enc: 'A256GCM' });
  for (const [kid, key] of keys) jwe.addRecipient(key).setUnprotectedHeader({ alg: 'A256KW', kid });
  return Buffer.from(JSON.stringify(await jwe.encrypt())).toString('base64');
}

/**
 * The events with their query text sealed (the trail's `protect`): events this server recorded only; a client's
 * submitted event is stored as it was sent. Keys are fetched once per batch.
 */
export function queryTextSealer(keys: QueryKeys) {
  return async (events: AuditEvent[]): Promise<AuditEvent[]> => {
    const serverEvent = (e: AuditEvent) => (e.meta?.tag ?? []).some((t) => t.system === ORIGIN_SYSTEM && t.code === 'server');
    const sealing = events.filter((e) => serverEvent(e) && ((e.entity ?? []).some(hasOpenText) || openOutcome(e)));
    if (sealing.length === 0) return events;
    const found = await keys.keysFor(sealing.flatMap(ownersOf));
    return Promise.all(
      events.map(async (event) => {
        if (!sealing.includes(event)) return event;
        const owned = ownersOf(event).flatMap((o): Array<[string, Buffer]> => (found.get(o) ? [[o, found.get(o)!]] : []));
        const entity = await Promise.all(
          (event.entity ?? []).map(async (entity) => {
            const e = entity.detail?.some(isOpenDetail) ? { ...entity, detail: await Promise.all(entity.detail.map((d) => sealDetail(d, owned))) } : entity;
            if (!isQuery(e)) return e;
            const text = Buffer.from(e.query!, 'base64').toString('utf8');
            const sealed = await seal(text, owned);
            const { query: _query, ...rest } = e;
            // No key left (every patient it names was destroyed): the text is not kept at all.
            return {
              ...rest,
              description: redactedQuery(text),
              ...(sealed ? { query: sealed } : {}),
              extension: [...(e.extension ?? []), { url: SEALED_QUERY_URL, valueCode: 'jwe' }],
            };
          }),
        );
        const outcome = openOutcome(event);
        if (!outcome) return { ...event, entity };
        const why = await seal(outcome[2], owned);
        const mark = why ? { url: SEALED_QUERY_URL, valueBase64Binary: why } : { url: SEALED_QUERY_URL, valueCode: 'jwe' };
        return { ...event, entity, outcomeDesc: `${outcome[1]}: …`, _outcomeDesc: { extension: [mark] } };
      }),
    );
  };
}

/** A text detail sealed: its type kept, its value the JWE (none when no key is left: the text is not kept). */
async function sealDetail(d: AuditEventEntityDetail, owned: ReadonlyArray<[string, Buffer]>): Promise<AuditEventEntityDetail> {
  if (!isOpenDetail(d)) return d;
  const sealed = await seal(d.valueString!, owned);
  return {
    type: d.type,
    ...(sealed ? { valueBase64Binary: sealed } : { valueString: '…' }),
    extension: [...(d.extension ?? []), { url: SEALED_QUERY_URL, valueCode: 'jwe' }],
  };
}

/** `sealed` (a base64 JWE) opened with the stored keys of its recipients; `shredded` when none is left. */
async function unseal(sealed: string, keys: QueryKeys): Promise<string | 'shredded'> {
  const jwe = JSON.parse(Buffer.from(sealed, 'base64').toString('utf8')) as GeneralJWE;
  const kids = jwe.recipients.map((r) => r.header?.kid).filter((k): k is string => typeof k === 'string');
  const stored = await keys.lookup(kids);
  try {
    // Each recipient is tried in turn; its kid is in its own (unprotected) header.
    const { plaintext } = await generalDecrypt(jwe, async (_protected, recipient) => {
      const kid = recipient.header?.kid;
      const key = kid ? stored.get(kid) : undefined;
      if (!key) throw new Error('shredded');
      return key;
    });
    return new TextDecoder().decode(plaintext);
  } catch {
    return 'shredded';
  }
}

/** The sealed text details of a stored event, per entity (`Type/id`): each detail's type and its text, or `shredded`. */
export async function unsealedDetails(event: AuditEvent, keys: QueryKeys): Promise<Array<{ entity?: string; type: string; value: string | 'shredded' }>> {
  const out: Array<{ entity?: string; type: string; value: string | 'shredded' }> = [];
  for (const e of event.entity ?? []) {
    for (const d of e.detail ?? []) {
      if (!sealedMark(d)) continue;
      out.push({ entity: e.what?.reference, type: d.type, value: d.valueBase64Binary ? await unseal(d.valueBase64Binary, keys) : 'shredded' });
    }
  }
  return out;
}

/** The why of a stored event's outcome it sealed: the text, `shredded`, or undefined (none sealed). */
export async function unsealedOutcome(event: AuditEvent, keys: QueryKeys): Promise<string | 'shredded' | undefined> {
  const mark = event._outcomeDesc?.extension?.find((x) => x.url === SEALED_QUERY_URL);
  if (!mark) return undefined;
  return mark.valueBase64Binary ? unseal(mark.valueBase64Binary, keys) : 'shredded';
}

/** The query text of a stored event: the text, `shredded` when no key that sealed it is left, or undefined (none). */
export async function unsealedQuery(event: AuditEvent, keys: QueryKeys): Promise<string | 'shredded' | undefined> {
  const entity = (event.entity ?? []).find((e) => e.role?.code === QUERY_ROLE && (e.extension ?? []).some((x) => x.url === SEALED_QUERY_URL));
  if (!entity) {
    const plain = (event.entity ?? []).find((e) => e.role?.code === QUERY_ROLE && e.query !== undefined);
    return plain ? Buffer.from(plain.query!, 'base64').toString('utf8') : undefined;
  }
  if (!entity.query) return 'shredded';
  return unseal(entity.query, keys);
}
