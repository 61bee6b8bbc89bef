import type { OperationOutcomeIssue, Resource } from 'fhir/r4';
import { isOperationOutcomeError } from '../errors/operation-outcome-error';
import { collectReferences, relativizeReferences, rewriteReferences } from '../fhir/references';
import { isConditionalReference } from '../bundle/conditional-references';
import { R4_RESOURCE_TYPES } from '../fhir/resource-types';
import type { SearchApi, ValidationApi } from '../router/context';
import type { Repository } from '../store/repository';

/** One line of an input file, parsed. */
export interface ImportLine {
  resource: Resource;
  /** Where it came from, for the error file. */
  source: string;
  line: number;
}

export type LineOutcome =
  | { kind: 'stored'; line: ImportLine }
  /** Refers to something not stored yet (a later line or file): tried again when the import ends. */
  | { kind: 'deferred'; line: ImportLine; reason: string }
  | { kind: 'failed'; line: ImportLine; reason: string };

export interface BatchDeps {
  search: SearchApi;
  validation: ValidationApi;
  baseUrl: string;
}

const MISSING_REFERENCE = /^Referenced resource \S+ does not exist$/;

/** A validation failure caused only by references to what is not stored (yet). */
function onlyMissingReferences(issues: OperationOutcomeIssue[]): string | undefined {
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length === 0 || !errors.every((i) => i.code === 'not-found' && MISSING_REFERENCE.test(i.diagnostics ?? ''))) return undefined;
  return errors.map((i) => i.diagnostics).join('; ');
}

/**
 * Resolves the conditional references of a line (`Practitioner?identifier=...`, as the Synthea US Core NDJSON
 * writes them) through the caller's repository; undefined when all resolve, otherwise why not. More than one
 * match is a failure; none may come later. `matches` holds the searches of the batch so far (reference -> ids): the
 * lines of a batch name the same few practitioners and organisations over and over, and a transaction Bundle
 * resolves each reference once too.
 */
async function resolveConditional(
  deps: BatchDeps,
  repo: Repository,
  resource: Resource,
  matches: Map<string, string[]>,
): Promise<{ missing?: string; ambiguous?: string }> {
  const map = new Map<string, string>();
  for (const ref of collectReferences(resource)) {
    if (map.has(ref) || !isConditionalReference(ref)) continue;
    const q = ref.indexOf('?');
    const type = ref.slice(0, q);
    let found = matches.get(ref);
    if (!found) {
      found = await deps.search.findMatchingIds(repo, type, [...new URLSearchParams(ref.slice(q + 1))], 2);
      matches.set(ref, found);
    }
    if (found.length > 1) return { ambiguous: `Conditional reference ${ref} matches ${found.length} resources; it must match one` };
    if (found.length === 0) return { missing: `Conditional reference ${ref} matches no stored resource` };
    map.set(ref, `${type}/${found[0]}`);
  }
  if (map.size) rewriteReferences(resource, map);
  return {};
}

const LOCAL = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})$/;
/** `_id` values per search: a short query text, and still a few searches for a batch. */
const IDS_PER_SEARCH = 100;

/**
 * The references of a batch's lines that exist for the caller, found with one search per type (`_id` of them all)
 * where validating line by line reads each one; validation takes them as known, as it takes the batch's own lines.
 * It only confirms: what a search does not return (not stored, hidden, a type the caller may not read) is checked
 * by validation as before. A search finds what the caller may read, which it may know to exist; Binary, whose rule
 * is its securityContext target's, is left to validation.
 */
async function existingReferences(deps: BatchDeps, repo: Repository, lines: readonly ImportLine[]): Promise<string[]> {
  const byType = new Map<string, Set<string>>();
  for (const line of lines) {
    for (const ref of collectReferences(line.resource)) {
      const m = LOCAL.exec(ref);
      if (!m || m[1] === 'Binary' || !R4_RESOURCE_TYPES.has(m[1])) continue;
      let ids = byType.get(m[1]);
      if (!ids) byType.set(m[1], (ids = new Set()));
      ids.add(m[2]);
    }
  }
  const found: string[] = [];
  for (const [type, ids] of byType) {
    const all = [...ids];
    for (let i = 0; i < all.length; i += IDS_PER_SEARCH) {
      const some = all.slice(i, i + IDS_PER_SEARCH);
      try {
        for (const id of await deps.search.findMatchingIds(repo, type, [['_id', some.join(',')]], some.length)) found.push(`${type}/${id}`);
      } catch (err) {
        if (!isOperationOutcomeError(err)) throw err;
        break; // not searchable by the caller: validation reads them one by one
      }
    }
  }
  return found;
}

function reasonOf(err: unknown): string {
  if (isOperationOutcomeError(err)) return err.issues.map((i) => i.diagnostics ?? i.code).join('; ');
  return (err as Error).message ?? String(err);
}

/**
 * Validates and stores a batch of lines in one transaction, as each would be by an update with its own id (a
 * migration keeps identities; an existing resource gets a new version). References among the lines of the batch
 * count as resolvable; one that fails takes out those that point at it, which are validated again without it.
 */
export async function importBatch(deps: BatchDeps, repo: Repository, lines: ImportLine[]): Promise<LineOutcome[]> {
  const outcomes = new Map<ImportLine, LineOutcome>();
  let candidates: ImportLine[] = [];
  const matches = new Map<string, string[]>();
  for (const line of lines) {
    relativizeReferences(line.resource, deps.baseUrl);
    const { missing, ambiguous } = await resolveConditional(deps, repo, line.resource, matches);
    if (ambiguous) outcomes.set(line, { kind: 'failed', line, reason: ambiguous });
    else if (missing) outcomes.set(line, { kind: 'deferred', line, reason: missing });
    else candidates.push(line);
  }
  // Validate against the store plus the batch's other lines, until no line fails that others relied on.
  const existing = await existingReferences(deps, repo, candidates);
  for (;;) {
    const probe = repo.as(repo.policy);
    for (const ref of existing) probe.pendingIds.add(ref);
    for (const l of candidates) probe.pendingIds.add(`${l.resource.resourceType}/${l.resource.id}`);
    const failedNow: ImportLine[] = [];
    for (const line of candidates) {
      try {
        await deps.validation.assertValid(line.resource, probe, 'update');
      } catch (err) {
        if (!isOperationOutcomeError(err)) throw err;
        const missing = onlyMissingReferences(err.issues);
        outcomes.set(line, missing ? { kind: 'deferred', line, reason: missing } : { kind: 'failed', line, reason: reasonOf(err) });
        failedNow.push(line);
      }
    }
    if (failedNow.length === 0) break;
    candidates = candidates.filter((l) => !failedNow.includes(l));
  }
  if (candidates.length) await store(deps, repo, candidates, outcomes);
  return lines.map((l) => outcomes.get(l) as LineOutcome);
}

/**
 * One transaction for the batch; when it fails, each line on its own, validated again against what is stored by
 * then (a line pointing at one that could not be stored is deferred, never stored with a dangling reference).
 */
async function store(deps: BatchDeps, repo: Repository, lines: ImportLine[], outcomes: Map<ImportLine, LineOutcome>): Promise<void> {
  const write = (r: Repository, l: ImportLine) => r.update(l.resource.resourceType, l.resource.id as string, l.resource);
  try {
    await repo.inTransaction(async (tx) => {
      for (const l of lines) await write(tx, l);
    });
    for (const l of lines) outcomes.set(l, { kind: 'stored', line: l });
  } catch {
    for (const l of lines) {
      try {
        await deps.validation.assertValid(l.resource, repo, 'update');
        await write(repo, l);
        outcomes.set(l, { kind: 'stored', line: l });
      } catch (err) {
        const missing = isOperationOutcomeError(err) ? onlyMissingReferences(err.issues) : undefined;
        outcomes.set(l, missing ? { kind: 'deferred', line: l, reason: missing } : { kind: 'failed', line: l, reason: reasonOf(err) });
      }
    }
  }
}
