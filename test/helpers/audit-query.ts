import type { AuditEvent } from 'fhir/r4';

/** Anything that can make a JSON request as the system (a TestServer's `system` client). */
interface JsonClient {
  json<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/**
 * The query an event recorded, read back with AuditEvent/[id]/$query-text: its values are sealed under the patients'
 * keys (src/audit/query-text.ts), so the event's own JSON holds only the parameter names.
 */
export async function queryText(system: JsonClient, event: AuditEvent): Promise<string> {
  const res = await system.json('GET', `AuditEvent/${event.id}/$query-text`);
  return res.body.parameter[0].valueString as string;
}

/** The events among `events` whose recorded query, read back in clear, contains `marker`. */
export async function eventsWithQuery(system: JsonClient, events: AuditEvent[], marker: string): Promise<AuditEvent[]> {
  const texts = await Promise.all(events.map((e) => queryText(system, e)));
  return events.filter((_, i) => texts[i].includes(marker));
}
