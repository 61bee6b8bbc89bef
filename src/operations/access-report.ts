import { accessReport, accessReportParameters } from '../disclosures/access-report';
import { accessReportHtml } from '../disclosures/access-report-html';
import { htmlResult } from '../disclosures/html-page';
import { patientName } from '../disclosures/patient-name';
import { reportPeriod } from '../disclosures/period';
import { reportDefinition } from '../disclosures/report-definition';
import { patientRecord } from '../disclosures/record-access';
import type { AccountingRules } from '../disclosures/rules';
import { parameter, type Operation } from './operation';
import { operationInput } from './parameters';

/**
 * `Patient/[id]/$access-report?start=&end=`: every access to the patient's record this server recorded, by anyone,
 * reads included, grouped by user and client, with dates and actions (src/disclosures/access-report.ts); a Parameters
 * resource, or a printable page with `_format=html` or `Accept: text/html`. Who may ask: as for `$disclosures`.
 */
export const patientAccessReport = (rules: AccountingRules): Operation => ({
  definition: reportDefinition({
    code: 'access-report',
    name: 'AccessReport',
    title: 'Who accessed a patient record',
    description:
      'Every successful access to the patient record recorded by this server in the period (default: the six years up to now), reads included, ' +
      "grouped by user and client. For callers allowed to read the patient's AuditEvents, and for the patient themself.",
    bounds: 'Accesses',
    returns: parameter('out', 'return', 'Parameters', {
      min: 1,
      documentation: 'patient, start, end, generated, and one accessor (user, client, recipient, count, first, last, access*) per user and client',
    }),
  }),
  html: true,
  handler: async (ctx, req, target) => {
    const now = new Date();
    const period = reportPeriod(operationInput(req, 'access-report'), rules.lookbackYears, now);
    const record = await patientRecord(ctx, target.id as string);
    const report = await accessReport(record, period, now);
    if (req.format !== 'html') return { status: 200, body: accessReportParameters(report, ctx.baseUrl) };
    return htmlResult(accessReportHtml(report, { patientName: await patientName(ctx, record.id), preparedBy: `fhirstone at ${ctx.baseUrl}` }));
  },
});
