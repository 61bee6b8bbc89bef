import { choiceTypePaths, path2TypeWithoutElements, pathsDefinedElsewhere } from 'fhirpath/fhir-context/r4';

/**
 * How fhirpath.js names the model path of a child element (util.makeChildResNodes), for the code that walks
 * the JSON in its place (index-on-write paths, invariants) and must reach the same paths it would.
 */

const choices = choiceTypePaths as Record<string, string[] | undefined>;
const elsewhere = pathsDefinedElsewhere as Record<string, string | undefined>;
const collapsed = path2TypeWithoutElements as Record<string, string | undefined>;

/**
 * The model path of member `name` of a node at `parent`; for a choice element also its type suffixes, since
 * fhirpath.js then reads the typed variants (`valueQuantity`), never `name` itself.
 */
export function memberPath(parent: string, name: string): { path: string; variants?: string[] } {
  const path = elsewhere[`${parent}.${name}`] || `${parent}.${name}`;
  const variants = choices[path];
  if (variants) return { path, variants };
  return { path: name === 'extension' ? 'Extension' : path };
}

/** The path a node reached at model path `path` carries: an element whose type has its own definition collapses to it. */
export const nodePath = (path: string): string => collapsed[path] || path;
