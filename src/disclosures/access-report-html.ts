import type { AccessReport } from './access-report';
import { day, when } from './accounting-html';
import { htmlPage } from './html-page';

/** The printable access report: one section per user and client, each access on a line. */
export function accessReportHtml(r: AccessReport, opts: { patientName?: string; preparedBy: string }): string {
  const patient = opts.patientName ? `${opts.patientName} (Patient/${r.patient})` : `Patient/${r.patient}`;
  const total = r.accessors.reduce((n, a) => n + a.accesses.length, 0);
  return htmlPage('Who accessed this record', [
    {
      paragraphs: [
        `Patient: ${patient}`,
        ...(r.ids.length > 1
          ? [
              `Includes the records merged into it: ${r.ids
                .slice(1)
                .map((id) => `Patient/${id}`)
                .join(', ')}.`,
            ]
          : []),
        `Period: ${day(r.period.start)} to ${day(r.period.end)}`,
        `Prepared ${when(r.generated)} by ${opts.preparedBy}. ${total} access${total === 1 ? '' : 'es'} by ${r.accessors.length} user${r.accessors.length === 1 ? '' : 's'} or client${r.accessors.length === 1 ? '' : 's'}.`,
      ],
    },
    ...r.accessors.map((a) => ({
      heading: [a.user, a.client ? `client ${a.client}` : undefined, a.recipient ? `for ${a.recipient}` : undefined].filter(Boolean).join(', ') || 'unknown',
      table: {
        head: ['Date', 'Action', 'Resources', 'Purpose'],
        rows: a.accesses.map((x) => [when(x.date), x.interaction, x.types.join(', ') || 'Patient', x.purposes.join(', ')]),
        empty: 'No accesses.',
      },
    })),
    ...(r.accessors.length ? [] : [{ paragraphs: ['Nobody accessed this record in this period.'] }]),
  ]);
}
