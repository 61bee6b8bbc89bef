import type { StructureDefinition } from 'fhir/r4';
import { lazy } from '../util/lazy';
import { r4Resources } from './r4-definitions';

/**
 * Facts about top-level elements of each resource type, read lazily from the R4 StructureDefinitions the first
 * time they are needed (the definitions file is large; most requests never ask for `_summary`).
 */
interface TypeFacts {
  summary: Set<string>;
  mandatory: Set<string>;
}

const factsByType = lazy(() => {
  const facts = new Map<string, TypeFacts>();
  for (const sd of r4Resources('profiles-resources.json') as Iterable<StructureDefinition | undefined>) {
    if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || !sd.snapshot) continue;
    const summary = new Set<string>();
    const mandatory = new Set<string>();
    for (const el of sd.snapshot.element) {
      const parts = el.path.split('.');
      if (parts.length !== 2) continue;
      const name = parts[1].replace('[x]', '');
      if (el.isSummary) summary.add(name);
      if ((el.min ?? 0) > 0) mandatory.add(name);
    }
    facts.set(sd.type, { summary, mandatory });
  }
  return facts;
});

const factsFor = (type: string): TypeFacts | undefined => factsByType().get(type);

/** Is the top-level element (choice types by their base name, `deceased` for `deceasedBoolean`) a summary element? */
export function isSummaryElement(type: string, element: string): boolean {
  return factsFor(type)?.summary.has(element) ?? false;
}

export function isMandatoryElement(type: string, element: string): boolean {
  return factsFor(type)?.mandatory.has(element) ?? false;
}
