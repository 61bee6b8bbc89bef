import type { Resource } from 'fhir/r4';
import { isJsonObject } from '../fhir/json';

/** Is this reference string one of the references to remove? (Normalised by the caller: relative, absolute, versioned.) */
export type ReferenceTest = (reference: string) => boolean;

/**
 * A copy of `resource` without its references to the destroyed patients, for a resource shared with other people
 * (a Group, a Coverage where the patient was the subscriber, an Appointment with other patients), which stays.
 *
 * A Reference that is an item of a list goes from the list (Observation.focus, a CareTeam's members); an item of a
 * list that names the patient through one of its own elements goes whole (a Group.member whose entity, an
 * Appointment.participant whose actor, an extension whose value is the patient), since what is left of it would
 * be about nobody; a single Reference element elsewhere is removed (Coverage.subscriber). Lists and elements left
 * empty go too. The narrative (`text`) of a resource that lost a reference goes as well: it was generated from the
 * old content and may name the patient. `redact`, when given, rewrites the patients' names and identifiers in the
 * free text that stays.
 */
export function withoutReferences(resource: Resource, isRemoved: ReferenceTest, redact?: (text: string) => string): { resource: Resource; removed: number } {
  const copy = structuredClone(resource) as unknown as Record<string, unknown>;
  const state = { removed: 0 };
  clean(copy, isRemoved, state);
  if (state.removed > 0) dropNarratives(copy);
  if (redact) redactText(copy, redact);
  return { resource: copy as unknown as Resource, removed: state.removed };
}

/** Elements whose strings are identifiers and codes, not free text: never redacted. */
const NOT_TEXT = new Set(['resourceType', 'id', 'reference', 'url', 'system', 'code', 'version', 'meta']);

/**
 * Redacts the names and identifiers of the destroyed patients in the resource's free text (`redact`,
 * identifying-text.ts): a Group named after the family, a CareTeam's name, a note. In place.
 */
function redactText(obj: Record<string, unknown> | unknown[], redact: (text: string) => string): void {
  for (const [key, value] of Object.entries(obj)) {
    if (!Array.isArray(obj) && NOT_TEXT.has(key)) continue;
    if (typeof value === 'string') (obj as Record<string, unknown>)[key] = redact(value);
    else if (Array.isArray(value) || isJsonObject(value)) redactText(value, redact);
  }
}

const isRemovedReference = (value: unknown, isRemoved: ReferenceTest): boolean =>
  isJsonObject(value) && typeof value.reference === 'string' && isRemoved(value.reference);

/** Cleans `obj` in place; true when one of its own elements was a removed Reference (its list item must go). */
function clean(obj: Record<string, unknown>, isRemoved: ReferenceTest, state: { removed: number }): boolean {
  let namedDirectly = false;
  for (const [key, value] of Object.entries(obj)) {
    if (isRemovedReference(value, isRemoved)) {
      delete obj[key];
      state.removed++;
      namedDirectly = true;
    } else if (Array.isArray(value)) {
      const kept = value.filter((item) => {
        if (isRemovedReference(item, isRemoved)) {
          state.removed++;
          return false;
        }
        // A contained resource stays (local references point at it), whatever it named.
        return !(isJsonObject(item) && clean(item, isRemoved, state) && key !== 'contained');
      });
      if (kept.length === 0 && value.length > 0) delete obj[key];
      else obj[key] = kept;
    } else if (isJsonObject(value)) {
      clean(value, isRemoved, state);
      if (Object.keys(value).length === 0) delete obj[key];
    }
  }
  return namedDirectly;
}

/** Removes `text` from the resource and from its contained resources. */
function dropNarratives(resource: Record<string, unknown>): void {
  delete resource.text;
  if (Array.isArray(resource.contained)) for (const c of resource.contained) if (isJsonObject(c)) delete c.text;
}
