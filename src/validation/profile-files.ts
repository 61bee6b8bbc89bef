import fs from 'node:fs';
import path from 'node:path';

/** The conformance resources the validator reads from profile folders. */
const WANTED = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem']);

/** Parts of a published FHIR package that hold no conformance resources (examples would be mistaken for data). */
const SKIPPED_DIRS = new Set(['example', 'examples', 'openapi', 'xml', 'other', 'node_modules']);

export class ProfileLoadError extends Error {}

export interface ConformanceResource {
  resourceType: string;
  url?: string;
  [key: string]: unknown;
}

function collect(value: unknown, file: string, out: ConformanceResource[]): void {
  if (typeof value !== 'object' || value === null) return;
  const r = value as ConformanceResource;
  if (r.resourceType === 'Bundle') {
    for (const e of (r.entry as Array<{ resource?: unknown }> | undefined) ?? []) collect(e.resource, file, out);
  } else if (WANTED.has(r.resourceType)) {
    if (typeof r.url !== 'string') throw new ProfileLoadError(`${file}: ${r.resourceType} has no url`);
    out.push(r);
  }
}

function walk(dir: string, out: ConformanceResource[]): void {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (ent.name.startsWith('.')) continue;
    const full = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      if (!SKIPPED_DIRS.has(ent.name)) walk(full, out);
    } else if (ent.name.endsWith('.json') && ent.name !== 'package.json' && !ent.name.startsWith('.index')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(full, 'utf8'));
      } catch (err) {
        throw new ProfileLoadError(`${full} is not valid JSON: ${(err as Error).message}`);
      }
      collect(parsed, full, out);
    }
  }
}

/**
 * Every StructureDefinition, ValueSet and CodeSystem under the given folders (single resources or Bundles of
 * them), in folder order. A folder that does not exist is an error: a mistyped PROFILES_DIR should stop start-up
 * rather than silently validate against fewer profiles.
 */
export function readConformanceResources(dirs: string[]): ConformanceResource[] {
  const out: ConformanceResource[] = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new ProfileLoadError(`Profile folder ${dir} does not exist`);
    }
    walk(dir, out);
  }
  return out;
}

/** `profiles/` at the root of the project, found from this file both in src/ (ts) and dist/src/ (built). */
export function bundledProfilesDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'profiles'))) {
      return path.join(dir, 'profiles');
    }
    if (path.dirname(dir) === dir) throw new ProfileLoadError('Cannot find the bundled profiles/ folder');
  }
}
