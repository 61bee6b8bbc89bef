import type { Parameters as FhirParameters, ParametersParameter } from 'fhir/r4';
import { badRequest, forbidden } from '../errors/operation-outcome-error';
import type { Retention } from '../retention';
import { type Hold, holdsOnRecords } from '../retention';
import { calendarDate, dateAt } from '../retention/dates';
import type { RuleOutcome, TriggerOutcome } from '../retention/schedule';
import { operationInput, singleValue } from './parameters';
import { parameter, type Operation } from './operation';

type OutType = Parameters<typeof parameter>[2];
const out = (name: string, type: OutType, documentation: string, min = 0, max = '1') => parameter('out', name, type, { min, max, documentation });

const part = (name: string, value: Omit<ParametersParameter, 'name'>): ParametersParameter => ({ name, ...value });

/** The hold parts of the answer: what it holds, its matter and reason, who placed it and when. */
function holdPart(h: Hold): ParametersParameter {
  return part('hold', {
    part: [
      part('hold', { valueReference: { reference: `Basic/${h.id}` } }),
      part('subject', { valueReference: { reference: h.subject } }),
      part('matter', { valueString: h.matter }),
      part('reason', { valueString: h.reason }),
      part('placed', { valueDateTime: h.placed.at }),
      ...((h.placed.user ?? h.placed.client) ? [part('placed-by', { valueString: (h.placed.user ?? h.placed.client) as string })] : []),
    ],
  });
}

function triggerPart(t: TriggerOutcome): ParametersParameter {
  return part('trigger', {
    part: [
      part('on', { valueCode: t.on }),
      ...(t.date ? [part('trigger-date', { valueDate: t.date })] : []),
      ...(t.destroyAfter ? [part('destroy-after', { valueDate: t.destroyAfter })] : []),
      ...(t.open ? [part('open', { valueBoolean: true })] : []),
      ...(t.resource ? [part('resource', { valueReference: { reference: t.resource } })] : []),
    ],
  });
}

function applicablePart(o: RuleOutcome): ParametersParameter {
  return part('applicable', {
    part: [
      part('rule', { valueString: o.rule.id }),
      part('title', { valueString: o.rule.title }),
      part('action', { valueCode: o.rule.action }),
      ...(o.destroyAfter ? [part('destroy-after', { valueDate: o.destroyAfter })] : []),
      ...o.triggers.map(triggerPart),
    ],
  });
}

/**
 * `GET [base]/Patient/[id]/$retention`: the record's retention schedule (src/retention/schedule.ts says how it is
 * computed) and the holds in force. `date` evaluates the schedule on another day (holds are always today's).
 *
 * Bounded by the caller's policy: the Patient must be readable (404 otherwise, so a patient token gets 404 for
 * another patient's record), and the types the policy's rules read must be searchable without a granular
 * restriction (403), since a schedule computed from part of a record would be wrong. `eligible` counts every hold
 * in force; the `hold` parts list those the caller may search Basic for, never to a patient-bound token.
 */
export function retentionOperation(retention: Retention): Operation {
  const typesRead = ['Encounter', ...new Set(retention.policy.rules.flatMap((r) => (r.scope ?? []).map((s) => s.type)))];
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'Patient-retention',
      url: 'http://fhirstone.org/fhir/OperationDefinition/Patient-retention',
      name: 'PatientRetention',
      title: "A patient record's retention schedule and legal holds",
      status: 'active',
      kind: 'operation',
      code: 'retention',
      description:
        'Evaluates the server retention policy for the record: the governing rule, its trigger date, the earliest destruction date ' +
        '(destroy-after), whether the record is eligible for destruction, and the legal holds in force.',
      resource: ['Patient'],
      system: false,
      type: false,
      instance: true,
      affectsState: false,
      parameter: [
        parameter('in', 'date', 'date', { documentation: 'Evaluate on this date (policy time zone) instead of today; holds are those in force now' }),
        out('date', 'date', 'The date evaluated on, in the policy time zone', 1),
        out('rule', 'string', 'The governing rule (absent: no rule applies and the record is kept)'),
        out('action', 'code', 'destroy | review (review when any applicable rule says so)'),
        out('trigger', 'code', "The governing rule's trigger giving destroy-after"),
        out('trigger-date', 'date', 'The date that trigger counts from'),
        out('destroy-after', 'date', 'The earliest destruction date (absent: not determinable yet)'),
        out('due', 'boolean', 'The destroy-after has come', 1),
        out('eligible', 'boolean', 'Due, the action is destroy, and no legal hold is in force', 1),
        out('hold', 'Element', 'A hold in force: parts hold, subject, matter, reason, placed, placed-by', 0, '*'),
        out('applicable', 'Element', 'An applicable rule: parts rule, title, action, destroy-after, trigger (on, trigger-date, destroy-after, open, resource)', 0, '*'),
        out('note', 'string', 'Why a rule did not apply or gives no date', 0, '*'),
        out('policy-notice', 'string', "The retention policy's notice (the default says it is an example, not legal advice)", 1),
      ],
    },
    handler: async (ctx, req, target) => {
      const id = target.id as string;
      const input = operationInput(req, 'retention');
      const unknown = input.find(([k]) => k !== 'date');
      if (unknown) throw badRequest(`Patient/$retention has no parameter "${unknown[0]}" (date)`, unknown[0]);
      const dateText = singleValue(input, 'date');
      const zone = retention.policy.timeZone;
      const date = dateText === undefined ? dateAt(new Date(), zone) : /^\d{4}-\d{2}-\d{2}(T.+)?$/.test(dateText) ? calendarDate(dateText, zone) : undefined;
      if (!date) throw badRequest(`date must be a FHIR date such as 2030-01-31, got "${dateText}"`, 'date');
      for (const type of typesRead) {
        ctx.repo.assertAllowed(type, 'search');
        if (ctx.repo.policy.searchRestrictions(type, 'search')) {
          throw forbidden(`Patient/$retention needs to search every ${type} of the record: the access token's ${type} scopes are restricted by a search`);
        }
      }
      const r = await retention.retentionOn(ctx.repo, id, date);
      // Holds are records-management business: a patient's app is not where a litigation hold is disclosed.
      const listed = !ctx.repo.policy.patientIds && ctx.repo.maySearch('Basic') ? await holdsOnRecords(ctx.repo, [id]) : [];
      const body: FhirParameters = {
        resourceType: 'Parameters',
        parameter: [
          part('date', { valueDate: r.date }),
          ...(r.rule ? [part('rule', { valueString: r.rule })] : []),
          ...(r.action ? [part('action', { valueCode: r.action })] : []),
          ...(r.trigger ? [part('trigger', { valueCode: r.trigger })] : []),
          ...(r.triggerDate ? [part('trigger-date', { valueDate: r.triggerDate })] : []),
          ...(r.destroyAfter ? [part('destroy-after', { valueDate: r.destroyAfter })] : []),
          part('due', { valueBoolean: r.due }),
          part('eligible', { valueBoolean: r.eligible }),
          ...listed.map(holdPart),
          ...r.schedule.applicable.map(applicablePart),
          ...r.schedule.notes.map((n) => part('note', { valueString: n })),
          part('policy-notice', { valueString: retention.policy.notice }),
        ],
      };
      return { status: 200, body };
    },
  };
}
