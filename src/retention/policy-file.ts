import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import defaults from './default-policy.json';
import schema from './policy.schema.json';

/**
 * The retention policy as written (policy.schema.json describes it; README.md, "Retention and legal holds",
 * explains it). The default ships beside this module; `RETENTION_POLICY_FILE` names a file that replaces it.
 */
export interface PolicyFile {
  title?: string;
  notice: string;
  timeZone: string;
  ageOfMajority: string;
  lastEncounter?: { query?: string };
  rules: RuleSpec[];
  membership: MembershipSpec;
}

export type TriggerKind = 'last-encounter-end' | 'death' | 'birth' | 'majority' | 'resource-date';

export interface RuleSpec {
  id: string;
  title: string;
  description?: string;
  enabled?: boolean;
  scope?: string[];
  conditions?: { minorAtLastEncounter?: boolean; deceased?: boolean };
  period?: string;
  triggers: Array<{ on: TriggerKind; param?: string; period?: string }>;
  action: 'destroy' | 'review';
}

export interface RemoveSpec {
  element: string;
  when?: string;
}

export interface TypeMembershipSpec {
  description?: string;
  belongsVia: string[];
  sharedWhen?: 'always' | 'other-patients';
  remove?: RemoveSpec[];
}

export interface MembershipSpec {
  description?: string;
  defaultBelongsVia: string[];
  kept?: string[];
  types: Record<string, TypeMembershipSpec>;
}

const validateShape = new Ajv({ allErrors: true, strict: false }).compile<PolicyFile>(schema);

/** `rule <id>` for an error at /rules/N/..., so a mistake names the rule as well as the file. */
function ruleNamed(doc: unknown, instancePath: string): string {
  const m = /^\/rules\/(\d+)/.exec(instancePath);
  const rules = (doc as { rules?: unknown } | null)?.rules;
  if (!m || !Array.isArray(rules)) return '';
  const id = (rules[Number(m[1])] as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? `rule ${id}: ` : `rule #${Number(m[1]) + 1}: `;
}

/** Checks a parsed policy file's shape; `source` names it in the error. */
export function checkPolicyFile(doc: unknown, source: string): PolicyFile {
  if (!validateShape(doc)) {
    const problems = (validateShape.errors ?? []).map((e) => `${ruleNamed(doc, e.instancePath)}${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new Error(`Retention policy ${source}: ${problems}`);
  }
  const seen = new Set<string>();
  for (const r of doc.rules) {
    if (seen.has(r.id)) throw new Error(`Retention policy ${source}: rule ${r.id} is listed twice`);
    seen.add(r.id);
  }
  return doc;
}

export const DEFAULT_POLICY_SOURCE = 'src/retention/default-policy.json';

/** The policy the environment names (`RETENTION_POLICY_FILE`), else the shipped default. */
export function readPolicyFile(env: Record<string, string | undefined>): { file: PolicyFile; source: string } {
  const path = env.RETENTION_POLICY_FILE;
  if (!path) return { file: checkPolicyFile(defaults, DEFAULT_POLICY_SOURCE), source: DEFAULT_POLICY_SOURCE };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`RETENTION_POLICY_FILE ${path} cannot be read as JSON: ${(err as Error).message}`, { cause: err });
  }
  return { file: checkPolicyFile(doc, `RETENTION_POLICY_FILE ${path}`), source: path };
}
