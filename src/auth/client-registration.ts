import type { Address } from 'fhir/r4';
import { DISCLOSURE_CATEGORIES } from '../disclosures/rules';
import { isPurposeOfUse } from './purpose-of-use';

/** The organisation a client acts for, as the recipient of what the client reads (the accounting of disclosures). */
export interface Recipient {
  name: string;
  address?: Address;
  /** Outside the covered entity: what the client reads is disclosed to the recipient, not used inside. */
  outsideCoveredEntity: boolean;
  /** A category of the accounting rules that every disclosure to this recipient falls in (a limited data set recipient). */
  category?: string;
}

/** What the clients file says about a client beyond its keys and scopes. */
export interface ClientRegistration {
  recipient?: Recipient;
  /** The purpose of use recorded for its accesses when its token names none (v3 PurposeOfUse codes). */
  purposeOfUse?: readonly string[];
}

const ADDRESS_TEXT_FIELDS = ['text', 'city', 'district', 'state', 'postalCode', 'country'] as const;

function address(value: unknown, where: string): Address {
  if (typeof value === 'string' && value.trim()) return { text: value.trim() };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be a text or a FHIR Address`);
  const a = value as Record<string, unknown>;
  const out: Address = {};
  for (const key of Object.keys(a)) {
    const v = a[key];
    if (key === 'line') {
      if (!Array.isArray(v) || v.some((l) => typeof l !== 'string')) throw new Error(`${where}.line must be a list of texts`);
      out.line = v as string[];
    } else if ((ADDRESS_TEXT_FIELDS as readonly string[]).includes(key)) {
      if (typeof v !== 'string') throw new Error(`${where}.${key} must be a text`);
      out[key as (typeof ADDRESS_TEXT_FIELDS)[number]] = v;
    } else throw new Error(`${where}.${key} is not an Address field this file takes (line, ${ADDRESS_TEXT_FIELDS.join(', ')})`);
  }
  return out;
}

function recipient(value: unknown, where: string): Recipient {
  if (typeof value !== 'object' || value === null) throw new Error(`${where} must be an object`);
  const r = value as Record<string, unknown>;
  if (typeof r.name !== 'string' || !r.name.trim()) throw new Error(`${where}.name must name the recipient organisation`);
  if (typeof r.outside_covered_entity !== 'boolean') throw new Error(`${where}.outside_covered_entity must be true or false`);
  const out: Recipient = { name: r.name.trim(), outsideCoveredEntity: r.outside_covered_entity };
  if (r.address !== undefined) out.address = address(r.address, `${where}.address`);
  if (r.disclosure_category !== undefined) {
    if (typeof r.disclosure_category !== 'string' || !DISCLOSURE_CATEGORIES.includes(r.disclosure_category)) {
      throw new Error(`${where}.disclosure_category must be one of ${DISCLOSURE_CATEGORIES.join(', ')}`);
    }
    out.category = r.disclosure_category;
  }
  return out;
}

/**
 * The registration fields of one clients file entry: `recipient` (`{"name", "address", "outside_covered_entity",
 * "disclosure_category"}`) and `purpose_of_use` (a v3 PurposeOfUse code or a list of them). Checked at start-up.
 */
export function parseRegistration(e: Record<string, unknown>, where: string): ClientRegistration {
  const out: ClientRegistration = {};
  if (e.recipient !== undefined) out.recipient = recipient(e.recipient, `${where}.recipient`);
  if (e.purpose_of_use !== undefined) {
    const codes = Array.isArray(e.purpose_of_use) ? e.purpose_of_use : [e.purpose_of_use];
    const bad = codes.find((c) => !isPurposeOfUse(c));
    if (codes.length === 0 || bad !== undefined) {
      throw new Error(`${where}.purpose_of_use must be codes of the HL7 v3 PurposeOfUse value set${bad !== undefined ? `, not ${JSON.stringify(bad)}` : ''}`);
    }
    out.purposeOfUse = [...new Set(codes as string[])];
  }
  return out;
}
