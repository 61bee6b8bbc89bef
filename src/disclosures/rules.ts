import { readFileSync } from 'node:fs';
import type { Coding } from 'fhir/r4';
import defaults from './accounting-rules.json';
import purposeOfUse from '../auth/purpose-of-use-codes.json';

/**
 * The rules that decide which disclosures an accounting lists (45 CFR 164.528(a)). They are data: the regulation's
 * defaults ship in accounting-rules.json (its `description` states the order of the decision, which `decide`
 * implements); DISCLOSURE_RULES_FILE replaces them with a file of the same shape.
 */
export interface AccountingRules {
  /** The code system of the categories, as a disclosure names one in `purposeOfEvent`. */
  categorySystem: string;
  /** Disclosures before this date are not accounted for (164.528(a)(1)(ix)). */
  complianceDate: Date;
  /** The default period of an accounting, up to now (164.528(a)(1): six years). */
  lookbackYears: number;
  categories: Readonly<Record<string, Category>>;
  /** Every v3 PurposeOfUse code, mapped to a category. */
  purposes: Readonly<Record<string, string>>;
}

export interface Category {
  accountable: boolean;
  /** The provision that puts a disclosure in this category. */
  cite: string;
  display: string;
}

/** The categories every rules file defines (the code system's codes); registrations and disclosures name these. */
export const DISCLOSURE_CATEGORIES: readonly string[] = Object.keys(defaults.categories);
export const CATEGORY_SYSTEM = defaults.categorySystem;

const PURPOSE_CODES = purposeOfUse.concepts.map((c) => c.code);

/** Checks a rules document: every category and every purpose code present, nothing unknown. */
export function checkRules(doc: unknown, where: string): AccountingRules {
  const fail = (message: string): never => {
    throw new Error(`${where}: ${message}`);
  };
  if (typeof doc !== 'object' || doc === null) return fail('must be a JSON object');
  const d = doc as Record<string, unknown>;
  const compliance = typeof d.complianceDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d.complianceDate) ? new Date(`${d.complianceDate}T00:00:00Z`) : undefined;
  if (!compliance || Number.isNaN(compliance.getTime())) fail('complianceDate must be a date (YYYY-MM-DD)');
  if (typeof d.lookbackYears !== 'number' || !Number.isInteger(d.lookbackYears) || d.lookbackYears < 1) fail('lookbackYears must be a whole number of years');
  const categories = (d.categories ?? {}) as Record<string, Partial<Category>>;
  for (const code of DISCLOSURE_CATEGORIES) {
    const c = categories[code];
    if (!c || typeof c.accountable !== 'boolean' || typeof c.cite !== 'string' || typeof c.display !== 'string') {
      fail(`categories.${code} must be {"accountable": true|false, "cite": "...", "display": "..."}`);
    }
  }
  const extra = Object.keys(categories).filter((c) => !DISCLOSURE_CATEGORIES.includes(c));
  if (extra.length) fail(`categories ${extra.join(', ')} are not categories of ${CATEGORY_SYSTEM}`);
  const purposes = (d.purposes ?? {}) as Record<string, unknown>;
  const unmapped = PURPOSE_CODES.filter((p) => !DISCLOSURE_CATEGORIES.includes(purposes[p] as string));
  if (unmapped.length) fail(`purposes must map every v3 PurposeOfUse code to a category; missing or unknown: ${unmapped.join(', ')}`);
  const strange = Object.keys(purposes).filter((p) => !PURPOSE_CODES.includes(p));
  if (strange.length) fail(`purposes ${strange.join(', ')} are not v3 PurposeOfUse codes`);
  return {
    categorySystem: CATEGORY_SYSTEM,
    complianceDate: compliance as Date,
    lookbackYears: d.lookbackYears as number,
    categories: categories as Record<string, Category>,
    purposes: purposes as Record<string, string>,
  };
}

export const DEFAULT_RULES: AccountingRules = checkRules(defaults, 'src/disclosures/accounting-rules.json');

/** The rules of DISCLOSURE_RULES_FILE, or the defaults; a file that does not check stops start-up. */
export function rulesFromEnv(env: Record<string, string | undefined>): AccountingRules {
  const file = env.DISCLOSURE_RULES_FILE;
  if (!file) return DEFAULT_RULES;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`DISCLOSURE_RULES_FILE ${file} cannot be read as JSON: ${(err as Error).message}`, { cause: err });
  }
  return checkRules(doc, `DISCLOSURE_RULES_FILE ${file}`);
}

/** A category as a Coding of the category system (in a disclosure's purposeOfEvent). */
export function categoryCoding(code: string): Coding {
  return { system: CATEGORY_SYSTEM, code, display: DEFAULT_RULES.categories[code]?.display };
}

/** What decides one disclosure. */
export interface DisclosureFacts {
  /** When it was made. */
  date: Date;
  /** Its v3 PurposeOfUse codes (none: unknown). */
  purposes: readonly string[];
  /** Categories it names itself (a hand-recorded one's, or its recipient's registered category). */
  categories: readonly string[];
  /** Made to the individual: the caller was the patient the accounting is for. */
  toIndividual: boolean;
}

export interface Decision {
  category: string;
  accountable: boolean;
}

/** Whether the accounting lists a disclosure, and under which category (the order is the rules file's). */
export function decide(rules: AccountingRules, facts: DisclosureFacts): Decision {
  const verdict = (category: string): Decision => ({ category, accountable: rules.categories[category]?.accountable ?? true });
  if (facts.toIndividual) return verdict('individual');
  if (facts.date < rules.complianceDate) return verdict('before-compliance');
  const named = facts.categories.filter((c) => c in rules.categories);
  const categories = named.length ? named : facts.purposes.map((p) => rules.purposes[p] ?? 'other');
  if (!categories.length) return verdict('unknown');
  const decisions = categories.map(verdict);
  return decisions.find((d) => d.accountable) ?? decisions[0];
}
