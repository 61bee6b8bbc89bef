import type { Address } from 'fhir/r4';
import type { Accounting } from './accounting';
import { htmlPage } from './html-page';
import type { AccountingRules } from './rules';

/** `2024-03-01 10:00 UTC`. */
export const when = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
export const day = (d: Date): string => d.toISOString().slice(0, 10);

/** An address on lines: its text, or its lines then city, state, postal code and country. */
export function addressText(a: Address | undefined): string {
  if (!a) return 'not known';
  if (a.text) return a.text;
  const place = [a.city, [a.state, a.postalCode].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return [...(a.line ?? []), place, a.country].filter(Boolean).join('\n') || 'not known';
}

/** The printable accounting (the same content as the document Bundle). */
export function accountingHtml(a: Accounting, rules: AccountingRules, opts: { patientName?: string; preparedBy: string }): string {
  const patient = opts.patientName ? `${opts.patientName} (Patient/${a.patient})` : `Patient/${a.patient}`;
  const merged =
    a.ids.length > 1
      ? [
          `Includes the records merged into it: ${a.ids
            .slice(1)
            .map((id) => `Patient/${id}`)
            .join(', ')}.`,
        ]
      : [];
  const rows = a.disclosures.map((d) => [
    when(d.date),
    d.recipient.name,
    addressText(d.recipient.address),
    d.what,
    [...d.purposes.map((p) => p.display ?? p.code ?? ''), rules.categories[d.category]?.display ?? d.category].join('\n'),
  ]);
  return htmlPage(
    'Accounting of disclosures',
    [
      {
        paragraphs: [
          `Patient: ${patient}`,
          ...merged,
          `Period: ${day(a.period.start)} to ${day(a.period.end)}`,
          `Prepared ${when(a.generated)} by ${opts.preparedBy}. ${a.disclosures.length} disclosure${a.disclosures.length === 1 ? '' : 's'}.`,
        ],
      },
      { table: { head: ['Date', 'Recipient', 'Address', 'What was disclosed', 'Purpose'], rows, empty: 'No disclosures to account for in this period.' } },
    ],
    'This accounting lists the disclosures of the health information in this record that 45 CFR 164.528 requires to be accounted for. ' +
      'It does not list disclosures for treatment, payment or health care operations, to you or under your authorization, or the others that regulation excludes.',
  );
}
