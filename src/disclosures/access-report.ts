import type { AuditEvent, Parameters, ParametersParameter } from 'fhir/r4';
import { isRecipientAgent } from '../audit/disclosure-shape';
import { SERVER_ORIGIN } from '../audit/origin';
import { type Period, eventsNaming } from '../store/audit-collection';
import { callerOf, interactionOf, typesOf } from './disclosure';
import type { PatientRecord } from './record-access';

/** Operations about the accounting that are not accesses to the record, and would reveal a suspension to the patient. */
const NOT_ACCESSES = ['$suspend-accounting', '$accounting-suspensions'];

export interface Access {
  date: Date;
  /** The RESTful interaction (`read`, `search`, `$everything (operation)`). */
  interaction: string;
  /** The types of the resources it returned or wrote. */
  types: string[];
  /** Purpose of use codes (or UNK). */
  purposes: string[];
  /** `AuditEvent/<id>`. */
  event: string;
}

/** Everyone who reached the record through one client (or one user through one client). */
export interface Accessor {
  user?: string;
  client?: string;
  /** The organisation the client is registered to act for, when outside the covered entity. */
  recipient?: string;
  accesses: Access[];
}

export interface AccessReport {
  patient: string;
  ids: string[];
  period: Period;
  generated: Date;
  accessors: Accessor[];
}

const isServerEvent = (e: AuditEvent) => e.meta?.tag?.some((t) => t.system === SERVER_ORIGIN.system && t.code === SERVER_ORIGIN.code) ?? false;

/**
 * Every successful access to the record (the patient's id and the records merged into it) recorded by this server in
 * `period`, reads included, grouped by user and client; events clients submitted are claims, not accesses here.
 * Accessors are ordered by their latest access, newest first; their accesses oldest first.
 */
export async function accessReport(record: PatientRecord, period: Period, now: Date): Promise<AccessReport> {
  const groups = new Map<string, Accessor>();
  const patients = record.ids.map((id) => `Patient/${id}`);
  for await (const doc of record.events.find('AuditEvent', eventsNaming(patients, period), { projection: { r: 1 } })) {
    const event = JSON.parse(doc.r) as AuditEvent;
    if (!isServerEvent(event) || event.outcome !== '0') continue;
    const interaction = interactionOf(event);
    if (NOT_ACCESSES.some((op) => interaction.startsWith(op))) continue;
    const { user, client } = callerOf(event);
    const key = JSON.stringify([user, client]);
    let group = groups.get(key);
    if (!group) {
      const recipient = event.agent.find(isRecipientAgent)?.name;
      group = { ...(user ? { user } : {}), ...(client ? { client } : {}), ...(recipient ? { recipient } : {}), accesses: [] };
      groups.set(key, group);
    }
    group.accesses.push({
      date: new Date(event.recorded),
      interaction,
      types: typesOf(event),
      purposes: (event.purposeOfEvent ?? []).flatMap((c) => c.coding ?? []).flatMap((c) => (c.code ? [c.code] : [])),
      event: `AuditEvent/${event.id}`,
    });
  }
  const accessors = [...groups.values()];
  for (const a of accessors) a.accesses.sort((x, y) => x.date.getTime() - y.date.getTime());
  const last = (a: Accessor) => a.accesses[a.accesses.length - 1].date.getTime();
  accessors.sort((a, b) => last(b) - last(a));
  return { patient: record.id, ids: record.ids, period, generated: now, accessors };
}

const str = (name: string, value: string | undefined): ParametersParameter[] => (value === undefined ? [] : [{ name, valueString: value }]);

/** The report as Parameters: patient, start, end, generated, then one `accessor` per group with its `access` parts. */
export function accessReportParameters(r: AccessReport, baseUrl: string): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'patient', valueReference: { reference: `${baseUrl}/Patient/${r.patient}` } },
      { name: 'start', valueDateTime: r.period.start.toISOString() },
      { name: 'end', valueDateTime: r.period.end.toISOString() },
      { name: 'generated', valueDateTime: r.generated.toISOString() },
      ...r.accessors.map((a): ParametersParameter => ({
        name: 'accessor',
        part: [
          ...str('user', a.user),
          ...str('client', a.client),
          ...str('recipient', a.recipient),
          { name: 'count', valueInteger: a.accesses.length },
          { name: 'first', valueDateTime: a.accesses[0].date.toISOString() },
          { name: 'last', valueDateTime: a.accesses[a.accesses.length - 1].date.toISOString() },
          ...a.accesses.map((x): ParametersParameter => ({
            name: 'access',
            part: [
              { name: 'date', valueDateTime: x.date.toISOString() },
              { name: 'interaction', valueString: x.interaction },
              ...x.types.map((t) => ({ name: 'type', valueCode: t })),
              ...x.purposes.map((p) => ({ name: 'purpose', valueCode: p })),
              { name: 'event', valueReference: { reference: `${baseUrl}/${x.event}` } },
            ],
          })),
        ],
      })),
    ],
  };
}
