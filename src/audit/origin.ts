import type { AuditEvent, Coding, Extension, Meta } from 'fhir/r4';
import type { AuditInput } from './audit-input';
import { PROTECTED_MODE_CLIENT } from './balp';

/**
 * Who wrote an event into the trail. Both kinds share one hash chain, so the chain alone cannot tell an event this
 * server recorded from one a client POSTed with `source.observer` naming the server. Every chained event therefore
 * carries a `meta.tag` of this code system, set by the trail (a client's own tags of this system are dropped):
 *
 *   server     recorded by this server about a request it handled
 *   submitted  POSTed by a client; the `audit-submitted-by` extension names the authenticated client, user and
 *              token, taken from the access token, not from the event
 *
 * The tag and extension are inside the hashed content, so neither can be changed afterwards unnoticed. The
 * server's own record of the POST (a `create` event naming `AuditEvent/<id>`) is a separate, server-tagged event.
 * Search: `AuditEvent?_tag=http://fhirstone.org/fhir/CodeSystem/audit-origin|server`.
 */
export const ORIGIN_SYSTEM = 'http://fhirstone.org/fhir/CodeSystem/audit-origin';
export const SUBMITTED_BY_URL = 'http://fhirstone.org/fhir/StructureDefinition/audit-submitted-by';

export const SERVER_ORIGIN: Coding = { system: ORIGIN_SYSTEM, code: 'server', display: 'Recorded by this server' };
export const SUBMITTED_ORIGIN: Coding = { system: ORIGIN_SYSTEM, code: 'submitted', display: 'Submitted by a client' };

/** Who POSTed an event: the caller's access policy. */
export type Submitter = NonNullable<AuditInput['policy']>;

function withOrigin(meta: Meta | undefined, origin: Coding): Meta {
  const tag = [...(meta?.tag ?? []).filter((t) => t.system !== ORIGIN_SYSTEM), origin];
  return { ...meta, tag };
}

export function markServerEvent(event: AuditEvent): AuditEvent {
  return { ...event, meta: withOrigin(event.meta, SERVER_ORIGIN) };
}

/** The client's event as the trail stores it: tagged `submitted`, naming who submitted it. */
export function markSubmitted(event: AuditEvent, by: Submitter): AuditEvent {
  const parts: Extension[] = [];
  if (by.clientId) parts.push({ url: 'client', valueString: by.clientId });
  if (by.user) parts.push({ url: 'user', valueString: by.user });
  if (by.tokenId) parts.push({ url: 'token', valueString: by.tokenId });
  if (by.unrestricted) parts.push({ url: 'client', valueString: PROTECTED_MODE_CLIENT });
  if (!parts.length) parts.push({ url: 'client', valueString: 'a client its access token does not name' });
  const own = (event.extension ?? []).filter((e) => e.url !== SUBMITTED_BY_URL);
  return {
    ...event,
    meta: withOrigin(event.meta, SUBMITTED_ORIGIN),
    extension: [...own, { url: SUBMITTED_BY_URL, extension: parts }],
  };
}
