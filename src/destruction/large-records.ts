import { markDestroying } from '../retention/hold-guard';
import type { Repository } from '../store/repository';
import { applySurvey } from './destroy-batch';
import type { IdentityHasher } from './identity-hash';
import type { Ledger, RecordPart } from './ledger';
import { DEPENDENTS, type RecordMembership } from './record-membership';
import { type BatchSurvey, surveyBatch } from './record-survey';

/** What removing a very large record in parts needs. */
export interface PartsContext {
  membership: RecordMembership;
  types: readonly string[];
  baseUrl: string;
  ledger: Ledger;
  hash: IdentityHasher;
  /** Resources (each with its every version) removed per transaction at most. */
  limit: number;
  /**
   * Asked in the transaction of a record's first part, with its survey: may its destruction begin (no hold placed,
   * nothing changed since the review)? When not, nothing is removed and the batch drops the record.
   */
  mayBegin: (tx: Repository, patient: string, survey: BatchSurvey) => Promise<boolean>;
}

/** Resources removed with their every version in `survey`, per patient whose record they go with. */
export function recordSizes(survey: BatchSurvey): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const ids of survey.remove.values()) for (const patient of ids.values()) sizes.set(patient, (sizes.get(patient) ?? 0) + 1);
  return sizes;
}

const DEPENDENT_TYPES = new Set(DEPENDENTS.map((d) => d.type));

/**
 * What of `patient`'s record may go before the record's batch: every resource removed with it but the Patient
 * itself, dependents (attachments, provenance) first, while every resource they depend on is still there to say
 * they go (a later survey would no longer find a Provenance of resources already gone).
 */
function partable(survey: BatchSurvey, patient: string): Array<[string, string]> {
  const all = [...survey.remove].flatMap(([type, ids]) => [...ids.keys()].map((id): [string, string] => [type, id]));
  const rest = all.filter(([type, id]) => !(type === 'Patient' && id === patient));
  return [...rest.filter(([type]) => DEPENDENT_TYPES.has(type)), ...rest.filter(([type]) => !DEPENDENT_TYPES.has(type))];
}

/**
 * Removes the record of `patient` in parts of at most `limit` resources, one transaction each, until only what its
 * batch removes (the Patient, the rewrites of shared resources, single past versions) is left: a record of 100,000
 * resources is never one transaction. The first part marks the record as being destroyed (no hold, no merge
 * from then on: it goes whole); each part is noted in the ledger in its own transaction, so a run resumed after a
 * crash goes on from the record's next part (`firstPart`, the parts the ledger has). Resolves with the parts written
 * (none when the record may not begin to go: its batch then drops it).
 */
export async function destroyInParts(
  system: Repository,
  ctx: PartsContext,
  at: { job: string; batch: number; firstPart: number },
  patient: string,
  retention: RecordPart['retention'],
): Promise<number> {
  const record = ctx.hash(`Patient/${patient}`);
  let n = at.firstPart;
  for (;;) {
    const written = await system.inTransaction(async (tx) => {
      await markDestroying(tx, patient, at.job);
      const purge = tx.purge();
      const survey = await surveyBatch({ purge, membership: ctx.membership, types: ctx.types, baseUrl: ctx.baseUrl }, [patient]);
      const all = partable(survey, patient);
      if (all.length === 0 || (n === 0 && !(await ctx.mayBegin(tx, patient, survey)))) return { more: false, part: false };
      const remove = new Map<string, Map<string, string>>();
      for (const [type, id] of all.slice(0, ctx.limit)) remove.set(type, (remove.get(type) ?? new Map<string, string>()).set(id, patient));
      const applied = await applySurvey(
        purge,
        { remove, removeVersions: new Map(), rewrite: new Map(), rewriteVersions: new Map(), latest: new Map() },
        ctx.hash,
        ctx.baseUrl,
      );
      const part: RecordPart = { record, n, retention, counts: applied.perRecord.get(patient) ?? {} };
      await ctx.ledger.add(
        {
          _id: `${at.job}/${at.batch}/${record}/${n}`,
          job: at.job,
          batch: at.batch,
          records: [],
          identities: applied.identities,
          totals: applied.totals,
          dropped: [],
          part,
        },
        purge.session,
      );
      return { more: all.length > ctx.limit, part: true };
    });
    if (written.part) n++;
    if (!written.more) return n - at.firstPart;
  }
}
