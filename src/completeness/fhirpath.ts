import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { Reference, Resource } from 'fhir/r4';

/** A FHIRPath expression of the rules file, compiled once, evaluated on a resource's JSON. */
export type Path = (resource: Resource) => unknown[];

export function compilePath(expression: string, where: string): Path {
  try {
    const fn = fhirpath.compile(expression, r4Model);
    return (resource) => fn(resource as object) as unknown[];
  } catch (err) {
    throw new Error(`${where}: '${expression}' is not a FHIRPath expression fhirpath.js compiles: ${(err as Error).message}`, { cause: err });
  }
}

/** True when the expression's result is exactly `true` (an empty result, as for a missing element, is false). */
export const holds = (path: Path, resource: Resource): boolean => {
  const out = path(resource);
  return out.length === 1 && out[0] === true;
};

/** The first string value the first path with one gives (dates and instants come back as their text). */
export function firstString(paths: readonly Path[], resource: Resource): string | undefined {
  for (const p of paths) {
    const v = p(resource).find((x) => typeof x === 'string');
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** The first Reference (with a reference, an identifier or a display) the first path with one gives. */
export function firstReference(paths: readonly Path[], resource: Resource): Reference | undefined {
  for (const p of paths) {
    for (const v of p(resource)) {
      if (v && typeof v === 'object' && ('reference' in v || 'identifier' in v || 'display' in v)) return v as Reference;
    }
  }
  return undefined;
}
