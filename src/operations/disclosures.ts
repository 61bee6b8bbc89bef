import { type AccountingSources, account } from '../disclosures/accounting';
import { accountingHtml } from '../disclosures/accounting-html';
import { logAccounting } from '../disclosures/accounting-log';
import { accountingDocument } from '../disclosures/document';
import { htmlResult } from '../disclosures/html-page';
import { patientName } from '../disclosures/patient-name';
import { reportPeriod } from '../disclosures/period';
import { reportDefinition } from '../disclosures/report-definition';
import { patientRecord } from '../disclosures/record-access';
import { parameter, type Operation } from './operation';
import { operationInput } from './parameters';

/**
 * `Patient/[id]/$disclosures?start=&end=`: the accounting of disclosures of the patient's record (45 CFR 164.528)
 * for the period (default: the six years up to now), as a FHIR document Bundle, or a printable page with
 * `_format=html` or `Accept: text/html`. Which disclosures it lists is the rules file's decision
 * (src/disclosures/rules.ts); suspensions in force leave theirs out; every accounting provided is kept
 * (src/disclosures/accounting-log.ts). Who may ask: src/disclosures/record-access.ts.
 */
export const patientDisclosures = (sources: () => AccountingSources): Operation => ({
  definition: reportDefinition({
    code: 'disclosures',
    name: 'Disclosures',
    title: 'Accounting of disclosures of a patient record',
    description:
      'The accounting of disclosures of the patient record (45 CFR 164.528) for a period, default the six years up to now: a document Bundle ' +
      '(Composition, then one AuditEvent per disclosure), or a printable HTML page with _format=html. For callers allowed to read the ' +
      "patient's AuditEvents, and for the patient themself.",
    bounds: 'Disclosures made',
    returns: parameter('out', 'return', 'Bundle', { min: 1, documentation: 'A document Bundle: the Composition, then the disclosures' }),
  }),
  html: true,
  handler: async (ctx, req, target) => {
    const now = new Date();
    const s = sources();
    const period = reportPeriod(operationInput(req, 'disclosures'), s.rules.lookbackYears, now);
    const record = await patientRecord(ctx, target.id as string);
    const accounting = await account(s, record, period, now);
    const preparedBy = `fhirstone at ${ctx.baseUrl}`;
    const html = req.format === 'html';
    const text = html
      ? accountingHtml(accounting, s.rules, { patientName: await patientName(ctx, record.id), preparedBy })
      : JSON.stringify(accountingDocument(accounting, { baseUrl: ctx.baseUrl, author: preparedBy }));
    const logged = await logAccounting(ctx.repo.privileged(), accounting, { contentType: html ? 'text/html' : 'application/fhir+json', text }, ctx.repo.policy);
    // The request's AuditEvent names the kept copy, beside the patient.
    ctx.repo.trace?.add('DocumentReference', logged, [`Patient/${record.id}`]);
    return html ? htmlResult(text) : { status: 200, body: { json: text } };
  },
});
