import type { CodeableConcept, Coding, HumanName, Identifier, Period, Reference } from 'fhir/r4';

/** How FHIR values read on screen. */

export function nameText(names: HumanName[] | undefined): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return '(no name)';
  if (n.text) return n.text;
  return [n.prefix?.join(' '), n.given?.join(' '), n.family, n.suffix?.join(' ')].filter(Boolean).join(' ') || '(no name)';
}

const DATE = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric' });
const DATE_TIME = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A FHIR date or dateTime as written for people: a date alone stays a date (no time zone shift). */
export function dateText(value: string | undefined): string {
  if (!value) return '';
  if (/^\d{4}(-\d{2})?$/.test(value)) return value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return DATE.format(new Date(`${value}T12:00:00`));
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : DATE_TIME.format(d);
}

export function periodText(p: Period | undefined): string {
  if (!p) return '';
  if (p.start && p.end) return `${dateText(p.start)} – ${dateText(p.end)}`;
  return p.start ? `from ${dateText(p.start)}` : p.end ? `until ${dateText(p.end)}` : '';
}

const SYSTEMS: Record<string, string> = {
  'http://snomed.info/sct': 'SNOMED CT',
  'http://hl7.org/fhir/sid/icd-10-cm': 'ICD-10-CM',
  'http://hl7.org/fhir/sid/icd-10': 'ICD-10',
  'http://loinc.org': 'LOINC',
  'http://www.nlm.nih.gov/research/umls/rxnorm': 'RxNorm',
  'http://hl7.org/fhir/sid/us-ssn': 'SSN',
  'http://hl7.org/fhir/sid/us-npi': 'NPI',
};

export const systemName = (system: string | undefined) => (system ? (SYSTEMS[system] ?? system) : '');

export const codingText = (c: Coding) => [systemName(c.system), c.code].filter(Boolean).join(' ');

export function conceptText(cc: CodeableConcept | CodeableConcept[] | undefined): string {
  const first = Array.isArray(cc) ? cc[0] : cc;
  if (!first) return '';
  return first.text ?? first.coding?.find((c) => c.display)?.display ?? first.coding?.[0]?.code ?? '';
}

export function identifierLabel(i: Identifier): string {
  return i.type?.text ?? i.type?.coding?.[0]?.display ?? i.type?.coding?.[0]?.code ?? systemName(i.system);
}

/** The medical record number: an identifier typed MR, else the first. */
export function mrn(ids: Identifier[] | undefined): string {
  const mr = ids?.find((i) => i.type?.coding?.some((c) => c.code === 'MR'));
  return (mr ?? ids?.[0])?.value ?? '';
}

export const referenceText = (r: Reference | undefined) => r?.display ?? r?.reference ?? r?.identifier?.value ?? '';

/** `Patient/123` of a reference, absolute or relative. */
export function localId(reference: string | undefined, type: string): string | undefined {
  const m = reference?.match(new RegExp(`(?:^|/)${type}/([^/]+)(?:/_history/[^/]+)?$`));
  return m?.[1];
}

/** Whole days from an instant to now. */
export const ageDays = (from: string | undefined) => (from ? Math.max(0, Math.floor((Date.now() - new Date(from).getTime()) / 86_400_000)) : undefined);
