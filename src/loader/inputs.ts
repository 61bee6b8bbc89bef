import { promises as fs } from 'node:fs';
import path from 'node:path';

export type InputKind = 'bundle' | 'ndjson';

export interface InputFile {
  /** Absolute path. */
  path: string;
  kind: InputKind;
  size: number;
  mtimeMs: number;
}

/**
 * Synthea writes the organisations and practitioners every patient bundle refers to into these two bundles, so
 * they must be stored before any patient bundle.
 */
const FIRST_BUNDLES = [/^hospitalInformation/i, /^practitionerInformation/i];

/**
 * NDJSON exports hold one type per file and refer across files (Encounter -> Practitioner?identifier=...,
 * Condition -> Encounter, MedicationRequest -> Condition), and the server checks that references resolve, so the
 * types others point at load first, in this order; the remaining types follow, alphabetically.
 */
const FIRST_NDJSON_TYPES = ['Organization', 'Location', 'Practitioner', 'PractitionerRole', 'Medication', 'Patient', 'Device', 'Encounter', 'Condition'];

function kindOf(file: string): InputKind | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.ndjson')) return 'ndjson';
  if (lower.endsWith('.json')) return 'bundle';
  return undefined;
}

/**
 * Rank of a file in load order: every file of one rank is stored before the next rank starts (files of the same rank
 * load concurrently); within a rank, alphabetical order.
 */
export function loadRank(file: string): number {
  const base = path.basename(file);
  const bundleRank = FIRST_BUNDLES.findIndex((re) => re.test(base));
  if (bundleRank >= 0) return bundleRank;
  if (kindOf(base) === 'ndjson') {
    const type = base.split('.')[0];
    const typeRank = FIRST_NDJSON_TYPES.indexOf(type);
    return FIRST_BUNDLES.length + (typeRank >= 0 ? typeRank : FIRST_NDJSON_TYPES.length);
  }
  return FIRST_BUNDLES.length + FIRST_NDJSON_TYPES.length;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, out);
    else if (e.isFile() && kindOf(e.name)) out.push(full);
  }
}

export class InputError extends Error {}

/**
 * Expands the command-line arguments (files and folders, folders searched recursively for .json and .ndjson) into
 * the ordered list of files to load. A named file with another extension, or a missing path, is an error: the
 * user asked for it explicitly.
 */
export async function resolveInputs(args: string[]): Promise<InputFile[]> {
  if (!args.length) throw new InputError('name at least one .json bundle, .ndjson file or folder to load');
  const found: string[] = [];
  for (const arg of args) {
    const abs = path.resolve(arg);
    const stat = await fs.stat(abs).catch(() => undefined);
    if (!stat) throw new InputError(`${arg}: no such file or folder`);
    if (stat.isDirectory()) await walk(abs, found);
    else if (kindOf(abs)) found.push(abs);
    else throw new InputError(`${arg}: not a .json bundle or .ndjson file`);
  }
  const unique = [...new Set(found)].sort((a, b) => loadRank(a) - loadRank(b) || a.localeCompare(b));
  return Promise.all(
    unique.map(async (p) => {
      const s = await fs.stat(p);
      return { path: p, kind: kindOf(p) as InputKind, size: s.size, mtimeMs: s.mtimeMs };
    }),
  );
}
