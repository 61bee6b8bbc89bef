import type { OperationOutcome, Parameters, ParametersParameter } from 'fhir/r4';
import { simpleKind } from '../jobs/simple-kind';
import { mayApprove } from './authority';
import type { Repository } from '../store/repository';
import { surveyBatch } from './record-survey';
import type { RecordRetention, RetentionSource } from './retention-source';

export const REVIEW_KIND = 'destruction-review';

export interface ReviewParams {
  /** The date the review is for (YYYY-MM-DD): the records eligible on it are listed. */
  date: string;
}

export interface ReviewDeps {
  retention: RetentionSource;
  /** Resource types stored on this server, at the time of the call. */
  types: () => string[];
  baseUrl: () => string;
}

/** Patients looked at per checkpoint. */
const PAGE = 200;

/** The instant a review date stands for: its noon in UTC, the same calendar date in every time zone a policy uses. */
export const reviewInstant = (date: string) => new Date(`${date}T12:00:00Z`);

/** One reviewed record, as a line of the review's output (and what approval reads back). */
export function reviewLine(patientId: string, retention: RecordRetention, counts: Record<string, number>): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'patient', valueReference: { reference: `Patient/${patientId}` } },
    { name: 'rule', valueId: retention.rule },
  ];
  if (retention.triggerDate) parameter.push({ name: 'trigger-date', valueDate: retention.triggerDate });
  if (retention.destroyAfter) parameter.push({ name: 'destroy-after', valueDate: retention.destroyAfter });
  for (const [type, count] of Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))) {
    parameter.push({
      name: 'count',
      part: [
        { name: 'type', valueCode: type },
        { name: 'count', valueInteger: count },
      ],
    });
  }
  return { resourceType: 'Parameters', parameter };
}

/** The patient a review line names. */
export function reviewedPatient(line: Parameters): string | undefined {
  const ref = line.parameter?.find((p) => p.name === 'patient')?.valueReference?.reference;
  return ref?.startsWith('Patient/') ? ref.slice(8) : undefined;
}

const heldNotice = (patientId: string, retention: RecordRetention): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [
    {
      severity: 'information',
      code: 'informational',
      diagnostics: `Patient/${patientId} is eligible (rule ${retention.rule}) but held: ${retention.holds.map((h) => `${h.hold}${h.matter ? ` (matter ${JSON.stringify(h.matter)})` : ''}`).join(', ')}`,
    },
  ],
});

/**
 * `$destruction-review`: lists, one line per record, the patients whose records the retention rules make eligible
 * for destruction on the review's date, with the rule, its trigger date and what would go per type (the resources
 * the record's membership makes members, counted as destruction would find them now). Held records are left out
 * (the error file names each, with its holds). Walks the Patients in id order, a page per checkpoint.
 */
export function reviewKind(deps: ReviewDeps) {
  return simpleKind<ReviewParams, { after?: string; listed: number }>({
    kind: REVIEW_KIND,
    // The approver reads what it approves: any user who could approve it may poll the review and download its files.
    sharedWith: (policy, job) => mayApprove(policy, deps.types(), job.owner),
    progress: (job) => `reviewed up to ${job.checkpoint.state?.after ?? 'the start'}; ${job.checkpoint.state?.listed ?? 0} records eligible`,
    async run(job, ctx) {
      const at = reviewInstant(job.plan.params.date);
      let { after, listed } = ctx.state ?? { listed: 0 };
      for (;;) {
        const page: string[] = [];
        for await (const doc of ctx.repo.find('Patient', after ? { _id: { $gt: after } } : {}, { sort: { _id: 1 }, limit: PAGE, projection: { _id: 1 } }))
          page.push(doc._id);
        if (page.length === 0) return listed;
        const eligible = new Map<string, RecordRetention>();
        for (const id of page) {
          const retention = await deps.retention.retentionOf(ctx.repo, id, at);
          if (!retention.eligible) continue;
          if (retention.holds.length) await ctx.write('OperationOutcome', heldNotice(id, retention), 'error');
          else eligible.set(id, retention);
        }
        const counts = await countRecords(ctx.repo, deps, [...eligible.keys()]);
        for (const [id, retention] of eligible) await ctx.write('Parameters', reviewLine(id, retention, counts.get(id) ?? {}));
        listed += eligible.size;
        after = page[page.length - 1];
        await ctx.checkpoint({ after, listed }, listed);
      }
    },
  });
}

/** What destruction would remove of each record, per type: a survey of the records in a read-only transaction. */
async function countRecords(repo: Repository, deps: ReviewDeps, patients: string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (patients.length === 0) return out;
  const survey = await repo
    .privileged()
    .inTransaction((tx) => surveyBatch({ purge: tx.purge(), membership: deps.retention.membership, types: deps.types(), baseUrl: deps.baseUrl() }, patients));
  for (const [type, ids] of survey.remove) {
    for (const patient of ids.values()) {
      const counts = out.get(patient) ?? {};
      counts[type] = (counts[type] ?? 0) + 1;
      out.set(patient, counts);
    }
  }
  return out;
}
