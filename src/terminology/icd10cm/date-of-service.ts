import { applies, CODED_ELEMENTS, valuesAt } from './coded-elements';
import { formatServiceDate, serviceDate, type ServiceDate } from './fiscal-year';

/** Reads a resource the caller may read (its policy applied), or undefined when it cannot (missing, hidden, not allowed). */
export type ReadResource = (type: string, id: string) => Promise<Record<string, unknown> | undefined>;

export interface DateOfService {
  date: ServiceDate;
  /** For messages: `2025-10-01 (Encounter/e1 period.end)`. */
  text: string;
}

const ENCOUNTER = /^Encounter\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** The first date at `path` that is a FHIR date or dateTime. */
function firstDate(resource: Record<string, unknown>, path: string[]): { text: string; date: ServiceDate } | undefined {
  for (const { value } of valuesAt(resource, path)) {
    const date = typeof value === 'string' ? serviceDate(value) : undefined;
    if (date) return { text: value as string, date };
  }
  return undefined;
}

/**
 * The date of service of a resource by the `dateOfService` steps of coded-element-rules.json: its own elements, or its
 * Encounter's date (read through `read`, one level: the Encounter's own steps). `label` names the resource in the
 * text (`Condition`, `Encounter/e1`). Undefined when no step gives a date.
 */
async function stepsDate(
  type: string,
  resource: Record<string, unknown>,
  label: string,
  read: ReadResource,
  now: Date,
  nested: boolean,
): Promise<DateOfService | undefined> {
  for (const step of CODED_ELEMENTS.get(type)?.dateOfService ?? []) {
    if (!applies(resource, step.when)) continue;
    if (step.kind === 'today') {
      const date = serviceDate(now)!;
      return { date, text: `${formatServiceDate(date)} (today: ${label} has no ${step.when ? 'end yet' : 'date'})` };
    }
    if (step.kind === 'path') {
      const found = firstDate(resource, step.path);
      if (found) return { date: found.date, text: `${formatServiceDate(found.date)} (${label}${nested ? ' ' : '.'}${step.path.join('.')})` };
      continue;
    }
    if (nested) continue;
    for (const { value } of valuesAt(resource, [...step.path, 'reference'])) {
      const id = typeof value === 'string' ? ENCOUNTER.exec(value)?.[1] : undefined;
      const encounter = id ? await read('Encounter', id) : undefined;
      const found = encounter && (await stepsDate('Encounter', encounter, `Encounter/${id}`, read, now, true));
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * When a resource's ICD-10-CM codes are checked, as claims are coded: an inpatient or emergency Encounter by its
 * discharge (`period.end`; today while it has none), any other by its start; a Condition by its Encounter's date,
 * else its `recordedDate`; and so on per coded-element-rules.json. No date at all: today.
 */
export async function dateOfService(type: string, resource: Record<string, unknown>, read: ReadResource, now = new Date()): Promise<DateOfService> {
  const found = await stepsDate(type, resource, type, read, now, false);
  if (found) return found;
  const today = serviceDate(now)!;
  return { date: today, text: `${formatServiceDate(today)} (today: no date of service in the ${type})` };
}
