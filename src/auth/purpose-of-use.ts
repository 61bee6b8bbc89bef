import type { Coding } from 'fhir/r4';
import valueSet from './purpose-of-use-codes.json';

/**
 * Purpose of use: why a caller accesses data, in the codes of the HL7 v3 PurposeOfUse value set (shipped as data in
 * purpose-of-use-codes.json). Every AuditEvent carries it in `purposeOfEvent`; the accounting of disclosures decides
 * from it (src/disclosures/rules.ts).
 */
export const PURPOSE_OF_USE_SYSTEM = valueSet.system;
/** IHE IUA may name the code system by its OID. */
const PURPOSE_OF_USE_OID = 'urn:oid:2.16.840.1.113883.5.8';

const DISPLAYS: ReadonlyMap<string, string> = new Map(valueSet.concepts.map((c) => [c.code, c.display]));

/** Every code of the value set. */
export const PURPOSE_OF_USE_CODES: readonly string[] = [...DISPLAYS.keys()];

export const isPurposeOfUse = (code: unknown): code is string => typeof code === 'string' && DISPLAYS.has(code);

/** The Coding of a code of the value set, with its display. */
export function purposeCoding(code: string): Coding {
  const display = DISPLAYS.get(code);
  return { system: PURPOSE_OF_USE_SYSTEM, code, ...(display ? { display } : {}) };
}

/** How an event says that the caller named no purpose and its client has no registered default. */
export const UNKNOWN_PURPOSE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' };

/** The purpose a token claims: codes, none (absent), or why the claim cannot be used. */
export type ClaimedPurpose = { codes?: readonly string[] } | { problem: string };

/** A list of distinct codes, each checked against the value set. */
function checkedCodes(codes: readonly unknown[], claim: string): ClaimedPurpose {
  if (codes.length === 0) return { problem: `${claim} names no purpose of use` };
  const unknown = codes.find((c) => !isPurposeOfUse(c));
  if (unknown !== undefined) {
    const shown = typeof unknown === 'string' ? `"${unknown.slice(0, 40)}"` : typeof unknown;
    return { problem: `${claim} ${shown} is not a code of the HL7 v3 PurposeOfUse value set` };
  }
  return { codes: [...new Set(codes as string[])] };
}

/** The code of an IHE IUA purpose_of_use Coding, checked to be of the v3 ActReason code system. */
function iuaCode(coding: unknown): unknown {
  if (typeof coding !== 'object' || coding === null) return coding;
  const { system, code } = coding as { system?: unknown; code?: unknown };
  if (system !== undefined && system !== PURPOSE_OF_USE_SYSTEM && system !== PURPOSE_OF_USE_OID) return `${String(system)}|${String(code)}`;
  return code;
}

/**
 * The purpose of use an access token claims, in this order: the `purpose_of_use` claim (a code or an array of codes),
 * else the IHE IUA form `extensions.ihe_iua.purpose_of_use` (a Coding, or an array of them). A code outside the
 * value set is a problem (the token is refused), never dropped: a purpose the server cannot read must not pass
 * as "none stated".
 */
export function claimedPurposeOfUse(claims: Readonly<Record<string, unknown>>): ClaimedPurpose {
  const plain = claims.purpose_of_use;
  if (plain !== undefined) return checkedCodes(Array.isArray(plain) ? plain : [plain], 'purpose_of_use');
  const iua = (claims.extensions as { ihe_iua?: { purpose_of_use?: unknown } } | undefined)?.ihe_iua?.purpose_of_use;
  if (iua === undefined) return {};
  return checkedCodes((Array.isArray(iua) ? iua : [iua]).map(iuaCode), 'extensions.ihe_iua.purpose_of_use');
}
