import type { Completeness } from '../completeness';
import { AUDIT_KIND } from '../completeness/audit-job';
import type { AuditParams } from '../completeness/audit';
import { assertCompleteView } from '../completeness/rules';
import { badRequest, forbidden } from '../errors/operation-outcome-error';
import { parseDateRange } from '../fhir/date-time';
import type { JobServices } from '../jobs';
import { parameter, type Operation } from './operation';
import { listValues, operationInput, singleValue } from './parameters';

const DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;

function dateParam(input: Array<[string, string]>, name: string): string | undefined {
  const text = singleValue(input, name);
  if (text !== undefined && (!DATE.test(text) || !parseDateRange(text))) throw badRequest(`${name} must be a FHIR date such as 2025-01-31, got "${text}"`, name);
  return text;
}

/**
 * `POST [base]/$completeness-audit`: evaluates the deficiency rules asynchronously (the `$export` pattern: 202 with
 * Content-Location, polled with X-Progress, a manifest whose output lists the Tasks written as NDJSON and a
 * Parameters report). Reads run under the caller's policy; a patient-bound token is refused (403): an audit is a
 * records department's sweep, and its report counts every patient's charts.
 */
export function completenessAudit(c: Completeness, jobs: JobServices): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'completeness-audit',
      url: 'urn:fhirstone:OperationDefinition/completeness-audit',
      name: 'CompletenessAudit',
      title: 'Audit charts for completeness (deficiencies) asynchronously',
      status: 'active',
      kind: 'operation',
      code: 'completeness-audit',
      description:
        'Evaluates the chart completeness rules and records each deficiency as a Task (one per rule and focus, never duplicated; ' +
        'completed when fixed, cancelled when out of scope). Asynchronous: 202 and Content-Location, then a manifest of NDJSON files.',
      system: true,
      type: false,
      instance: false,
      affectsState: true,
      parameter: [
        parameter('in', 'start', 'date', { documentation: "Only resources whose rule's date parameter is on or after this date" }),
        parameter('in', 'end', 'date', { documentation: "Only resources whose rule's date parameter is on or before this date" }),
        parameter('in', 'rule', 'code', { max: '*', documentation: 'Rule ids to run (default: every enabled rule)' }),
        parameter('in', 'encounter-class', 'code', { max: '*', documentation: 'Only the rules scoped on Encounter, for encounters of these classes' }),
        parameter('in', 'patient', 'Reference', { documentation: "Only this patient's resources" }),
      ],
    },
    handler: async (ctx, req) => {
      if (ctx.repo.policy.patientIds) throw forbidden('$completeness-audit audits every chart: a token bound to a patient cannot start it');
      const input = operationInput(req, 'completeness-audit');
      const named = listValues(input, 'rule');
      for (const id of named) if (!c.rule(id)) throw badRequest(`No deficiency rule '${id}' (rules: ${c.rules.map((r) => r.id).join(', ')})`, 'rule');
      const classes = listValues(input, 'encounter-class');
      const patient = singleValue(input, 'patient');
      // Rules the bounds cannot apply to are left out: encounter classes bound only rules on encounters.
      const rules = (named.length ? c.rules.filter((r) => named.includes(r.id)) : [...c.rules]).filter(
        (r) => (!classes.length || r.scope.type === 'Encounter') && (patient === undefined || r.scope.patientParam !== undefined),
      );
      assertCompleteView(ctx.repo.policy, rules);
      ctx.repo.assertAllowed('Task', 'search');
      ctx.repo.assertAllowed('Task', 'create');
      const params: AuditParams = { rules: rules.map((r) => r.id) };
      const start = dateParam(input, 'start');
      const end = dateParam(input, 'end');
      if (start) params.start = start;
      if (end) params.end = end;
      if (classes.length) params.encounterClass = classes;
      if (patient !== undefined) {
        const id = patient.replace(/^Patient\//, '');
        if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw badRequest(`patient must be a Patient reference, got "${patient}"`, 'patient');
        // The patient must be one the caller may read (404 otherwise); the AuditEvent then names it.
        await ctx.repo.read('Patient', id);
        params.patient = id;
      }
      return jobs.startJob(ctx, req, AUDIT_KIND, params);
    },
  };
}
