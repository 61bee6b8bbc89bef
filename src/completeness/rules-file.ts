import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import defaults from './default-rules.json';
import schema from './rules.schema.json';

/**
 * The rules file as written (rules.schema.json describes it; README.md, "Chart completeness", explains it). The
 * defaults ship beside this module; `DEFICIENCY_RULES_FILE` names a file that replaces them.
 */
export interface RulesFile {
  timeZone?: string;
  rules: RuleSpec[];
}

export interface RuleSpec {
  id: string;
  title: string;
  description?: string;
  enabled?: boolean;
  scope: { type: string; query: string; dateParam?: string; patientParam?: string; encounterParam?: string };
  start: string | string[];
  deadline: string;
  task: { owner: string | string[]; for?: string; encounter?: string };
  condition: { related?: RelatedSpec; elements?: ElementSpec[] };
}

export interface RelatedSpec {
  type: string;
  reference: string;
  query?: string;
  missing: string;
  codes?: { path: string; accept: string[]; billable?: string[]; serviceDate?: string };
}

export interface ElementSpec {
  path: string;
  missing: string;
}

const validateShape = new Ajv({ allErrors: true, strict: false }).compile<RulesFile>(schema);

/** Checks a parsed rules file's shape; `source` names it in the error. */
export function checkRulesFile(doc: unknown, source: string): RulesFile {
  if (!validateShape(doc)) {
    const problems = (validateShape.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new Error(`Deficiency rules ${source}: ${problems}`);
  }
  const seen = new Set<string>();
  for (const r of doc.rules) {
    if (seen.has(r.id)) throw new Error(`Deficiency rules ${source}: rule id ${r.id} is listed twice`);
    seen.add(r.id);
  }
  return doc;
}

/** The rules file the environment names (`DEFICIENCY_RULES_FILE`), else the shipped defaults. */
export function readRulesFile(env: Record<string, string | undefined>): { file: RulesFile; source: string } {
  const path = env.DEFICIENCY_RULES_FILE;
  if (!path) return { file: checkRulesFile(defaults, 'src/completeness/default-rules.json'), source: 'default-rules.json' };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`DEFICIENCY_RULES_FILE ${path} cannot be read as JSON: ${(err as Error).message}`, { cause: err });
  }
  return { file: checkRulesFile(doc, `DEFICIENCY_RULES_FILE ${path}`), source: path };
}
