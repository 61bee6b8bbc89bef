import type { AuditEvent, Parameters, ParametersParameter } from 'fhir/r4';
import type { Indexer, StoredDocument } from '../store/stored-document';
import { disclosureKey } from './disclosure-shape';
import { GENESIS_HASH, type ChainLink, readLink, recomputeHash, sequenceOfId } from './hash-chain';

export type BreakKind = 'modified' | 'missing' | 'relinked' | 'unchained' | 'truncated' | 'misindexed';

export interface ChainBreak {
  kind: BreakKind;
  /** The event id where the break shows (for 'missing', the first event after the gap). */
  id?: string;
  sequence?: number;
  detail: string;
}

export interface ChainReport {
  intact: boolean;
  checked: number;
  last?: ChainLink;
  /** The first breaks found (at most MAX_LISTED_BREAKS, plus the first of each kind found after those). */
  breaks: ChainBreak[];
  /** Every break found, listed or not, in total and per kind. */
  breakCount: number;
  breakCounts: Partial<Record<BreakKind, number>>;
}

const MAX_LISTED_BREAKS = 100;

/**
 * Walks the AuditEvent documents in chain order (`docs`, the collection in id order) and recomputes every link. A break does not stop the walk: the
 * walk resynchronises on the stored hash, so one rewritten event is reported once, not as the end of the chain.
 *
 * - modified:  the event's content no longer matches its own hash (edited, or flagged deleted, in place)
 * - relinked:  the event's `previous` is not the hash of the event before it (the one before was rewritten and
 *              re-hashed, or this one was moved)
 * - missing:   sequence numbers jump (events were deleted)
 * - unchained: a document in the collection that is not part of the chain (written around the trail)
 * - truncated: the newest event this process wrote is no longer there (events removed from the end, which the
 *              chain alone cannot show; `lastHash` in the report is the anchor to keep elsewhere for that)
 * - misindexed: the stored search fields (`s`, `c`) or disclosure key (`d`) are not what the event's content gives,
 *              so searches, a patient's compartment or the accounting of disclosures would hide or misplace it (the
 *              hash covers the content only)
 *
 * vread and `_history` answer from these same documents (an append-only type keeps no history copy), so what is
 * verified here is what they serve.
 */
export async function walkChain(docs: AsyncIterable<StoredDocument>, knownHead?: ChainLink, index?: Indexer): Promise<ChainReport> {
  const report: ChainReport = { intact: true, checked: 0, breaks: [], breakCount: 0, breakCounts: {} };
  // Many breaks of one kind must not hide the first of another: that one is listed beyond the limit too.
  const flag = (b: ChainBreak) => {
    report.intact = false;
    report.breakCount++;
    const ofKind = (report.breakCounts[b.kind] ?? 0) + 1;
    report.breakCounts[b.kind] = ofKind;
    if (report.breaks.length < MAX_LISTED_BREAKS || ofKind === 1) report.breaks.push(b);
  };
  let expectedSeq = 1;
  let previous = GENESIS_HASH;
  for await (const doc of docs) {
    report.checked++;
    const seq = sequenceOfId(doc._id);
    let event: AuditEvent | undefined;
    try {
      event = JSON.parse(doc.r) as AuditEvent;
    } catch {
      event = undefined;
    }
    const link = event && readLink(event);
    if (seq === undefined || !event || !link) {
      flag({ kind: seq === undefined ? 'unchained' : 'modified', id: doc._id, sequence: seq, detail: 'no readable chain link' });
      continue;
    }
    if (seq !== link.sequence || event.id !== doc._id) {
      flag({ kind: 'modified', id: doc._id, sequence: seq, detail: `id ${doc._id} does not match its sequence ${link.sequence}` });
    }
    if (seq > expectedSeq) {
      flag({ kind: 'missing', id: doc._id, sequence: seq, detail: `events ${expectedSeq} to ${seq - 1} are missing` });
    } else if (link.previous !== previous) {
      flag({ kind: 'relinked', id: doc._id, sequence: seq, detail: 'previous hash does not match the event before' });
    }
    if (recomputeHash(event) !== link.hash || doc.del || doc.vid !== 1) {
      flag({ kind: 'modified', id: doc._id, sequence: seq, detail: 'content does not match its hash' });
    } else {
      // Checked only on intact events: an edited event is already reported.
      const expected = index?.(event);
      if (expected && (JSON.stringify(expected.s) !== JSON.stringify(doc.s) || JSON.stringify(expected.c) !== JSON.stringify(doc.c))) {
        flag({ kind: 'misindexed', id: doc._id, sequence: seq, detail: 'stored search and compartment fields do not match the event' });
      } else if (expected && JSON.stringify(disclosureKey(event) ?? null) !== JSON.stringify(doc.d ?? null)) {
        flag({ kind: 'misindexed', id: doc._id, sequence: seq, detail: 'stored disclosure key does not match the event' });
      }
    }
    previous = link.hash;
    expectedSeq = seq + 1;
    report.last = { sequence: seq, previous: link.previous, hash: link.hash };
  }
  if (knownHead && (report.last?.sequence ?? 0) < knownHead.sequence) {
    flag({
      kind: 'truncated',
      sequence: knownHead.sequence,
      detail: `this server wrote event ${knownHead.sequence}, the trail ends at ${report.last?.sequence ?? 0}`,
    });
  }
  return report;
}

/** The report as the output of `GET AuditEvent/$verify-chain`. */
export function reportToParameters(report: ChainReport): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'intact', valueBoolean: report.intact },
    { name: 'checked', valueInteger: report.checked },
  ];
  if (report.last) {
    parameter.push({ name: 'lastSequence', valueDecimal: report.last.sequence });
    parameter.push({ name: 'lastHash', valueString: report.last.hash });
  }
  parameter.push({ name: 'breaks', valueInteger: report.breakCount });
  for (const [kind, count] of Object.entries(report.breakCounts)) {
    parameter.push({
      name: 'breakCount',
      part: [
        { name: 'kind', valueCode: kind },
        { name: 'count', valueInteger: count },
      ],
    });
  }
  for (const b of report.breaks) {
    const part: ParametersParameter[] = [{ name: 'kind', valueCode: b.kind }];
    if (b.id) part.push({ name: 'id', valueId: b.id });
    if (b.sequence !== undefined) part.push({ name: 'sequence', valueDecimal: b.sequence });
    part.push({ name: 'detail', valueString: b.detail });
    parameter.push({ name: 'break', part });
  }
  return { resourceType: 'Parameters', parameter };
}
