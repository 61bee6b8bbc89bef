import type { Patient } from 'fhir/r4';
import type { MatchConfig } from './config';
import { type DateParts, dateParts, normalAddressLine, normalEmail, normalName, normalPhone, normalPostalCode } from './normalize';

/**
 * What the matcher knows of a Patient: its identifying fields in normal form (src/matching/normalize.ts). Blocking
 * keys and comparisons are computed from this, never from the resource itself.
 */
export interface MatchFeatures {
  /** Family names of every name but `old` ones (an official and a maiden name are both the person's). */
  families: string[];
  /** First given names of those names. */
  givens: string[];
  /** Second given names (middle names), where written. */
  middles: string[];
  birthDate?: DateParts;
  /** male or female; unknown and other carry nothing to compare. */
  gender?: string;
  /** Current addresses: first line (abbreviated) and postal code. */
  addresses: Array<{ line: string; postalCode: string }>;
  phones: string[];
  emails: string[];
  /** `system|value` of every identifier with both. */
  identifiers: Array<{ system: string; value: string }>;
}

const unique = (values: string[]) => [...new Set(values.filter((v) => v.length > 0))];

/** Only what is current: a `period` that has ended, or a `use: old`, is history, not identity. */
const isCurrent = (e: { use?: string; period?: { end?: string } }) => e.use !== 'old' && !e.period?.end;

export function matchFeatures(patient: Patient, config: Pick<MatchConfig, 'addressAbbreviations'>): MatchFeatures {
  const names = (patient.name ?? []).filter(isCurrent);
  const telecom = (patient.telecom ?? []).filter(isCurrent);
  const gender = patient.gender === 'male' || patient.gender === 'female' ? patient.gender : undefined;
  return {
    families: unique(names.map((n) => normalName(n.family ?? (n.text && !n.given ? n.text.split(/\s+/).pop() : undefined)))),
    givens: unique(names.map((n) => normalName(n.given?.[0]).split(' ')[0] ?? '')),
    middles: unique(names.map((n) => normalName(n.given?.[1] ?? normalName(n.given?.[0]).split(' ')[1]))),
    birthDate: dateParts(patient.birthDate),
    gender,
    addresses: (patient.address ?? [])
      .filter(isCurrent)
      .map((a) => ({ line: normalAddressLine(a.line?.[0], config.addressAbbreviations), postalCode: normalPostalCode(a.postalCode) }))
      .filter((a) => a.line || a.postalCode),
    phones: unique(telecom.filter((t) => t.system === 'phone' || t.system === 'sms').map((t) => normalPhone(t.value))),
    emails: unique(telecom.filter((t) => t.system === 'email').map((t) => normalEmail(t.value))),
    identifiers: (patient.identifier ?? [])
      .filter((i) => i.system && i.value?.trim() && isCurrent(i))
      .map((i) => ({ system: i.system as string, value: (i.value as string).trim() })),
  };
}
