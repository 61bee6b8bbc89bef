import type { Patient } from 'fhir/r4';
import { AccessTrace } from '../store/access-trace';
import type { Repository } from '../store/repository';
import type { StoredDocument } from '../store/stored-document';
import { candidatesFrom } from './blocks';
import { withKey } from './index-entries';
import type { Comparison, Matcher, MatchFeatures } from '.';

/** A stored Patient compared with the record matched. */
export interface Candidate {
  id: string;
  doc: StoredDocument;
  resource: Patient;
  comparison: Comparison;
}

/** At most this many Patients are compared for one `$match` (the best blocks come first). */
const MAX_CANDIDATES = 2_000;

/** `repo` under a trace of its own: what it reads is not named in the caller's AuditEvent unless recorded. */
export const untraced = (repo: Repository) => repo.as(repo.policy, new AccessTrace());

/**
 * The ids under each key (at most maxBlockSize + 1: a larger block is too common to find anyone and is skipped by
 * `candidatesFrom`). One key at a time: inside a transaction (a bundle entry) the reads share one session.
 */
export async function blocksOf(repo: Repository, keys: readonly string[], maxBlockSize: number): Promise<Map<string, string[]>> {
  const blocks = new Map<string, string[]>();
  for (const key of keys) {
    const ids: string[] = [];
    for await (const d of repo.find('Patient', withKey(key), { projection: { _id: 1 }, limit: maxBlockSize + 1 })) ids.push(d._id);
    blocks.set(key, ids);
  }
  return blocks;
}

/**
 * The Patients the caller may see that share a blocking key with `features`, compared with it, best first. Every
 * read goes through `repo` (the caller's policy ANDs in: a Patient it may not see is neither returned nor counted),
 * under a trace of its own: the caller's trace (the AuditEvent) names only the Patients handed back, which the
 * caller records (`recordReturned`).
 */
export async function findCandidates(repo: Repository, matcher: Matcher, features: MatchFeatures): Promise<Candidate[]> {
  const quiet = untraced(repo);
  const blocks = await blocksOf(quiet, matcher.keys(features), matcher.config.maxBlockSize);
  const ids = [...candidatesFrom([...blocks.keys()], (k) => blocks.get(k), { maxBlockSize: matcher.config.maxBlockSize })].slice(0, MAX_CANDIDATES);
  const out: Candidate[] = [];
  if (!ids.length) return out;
  for await (const doc of quiet.find('Patient', { _id: { $in: ids } }, { projection: { s: 0 }, access: 'read' })) {
    const resource = JSON.parse(doc.r) as Patient;
    out.push({ id: doc._id, doc, resource, comparison: matcher.compare(features, matcher.features(resource)) });
  }
  return out.sort((a, b) => b.comparison.score - a.comparison.score || (a.id < b.id ? -1 : 1));
}

/** Names the candidates handed back in the caller's trace, so the AuditEvent names those patients. */
export function recordReturned(repo: Repository, returned: readonly Candidate[]): void {
  for (const c of returned) repo.trace?.add('Patient', c.id, c.doc.c);
}
