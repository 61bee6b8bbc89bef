import type { Resource } from 'fhir/r4';
import type { Filter } from 'mongodb';
import { forbidden } from '../errors/operation-outcome-error';
import { subset } from '../router/subsetting';
import type { Repository } from '../store/repository';
import type { HistoryDocument, StoredDocument } from '../store/stored-document';
import { rawVersion, type RawVersion } from './raw-version';

/** One NDJSON line of a type's export: a resource for `output`, or a deletion Bundle for `deleted`. */
export interface ExportLine {
  kind: 'output' | 'deleted';
  /** Logical id of the resource the line is about: the resume point. */
  id: string;
  /** JSON, as text or as its UTF-8 bytes (a stored resource, as read). */
  text: string | Buffer;
}

export interface SourceOptions {
  since?: Date;
  until: Date;
  /** Resume after this id (ids are streamed in ascending order). */
  afterId?: string;
  /** Search-compiled filter (`_typeFilter`, granular scopes) and compartment bound, ANDed. */
  filter?: Filter<StoredDocument>;
  /** History filter for the compartment bound (history documents carry `c` but no search index). */
  historyFilter?: Filter<HistoryDocument>;
  /** `_elements` names that apply to this type. */
  elements?: string[];
  /** Completes a resource's line where its stored text leaves something out (a Binary's bytes in GridFS). */
  expand?: (text: string | Buffer) => Promise<string | Buffer>;
}

const PROJECTION = { _id: 1, vid: 1, lu: 1, del: 1, r: 1 } as const;
/** Resources per query: about 2 MB of typical resources in memory at a time. */
const PAGE = 2000;

/** One page of current documents of a type including deletion markers (see Repository.findVersions), in id order. */
async function currentVersions(repo: Repository, type: string, filter: Filter<StoredDocument>): Promise<RawVersion[]> {
  if (!repo.policy.allows(type, 'read')) throw forbidden(`The access token does not allow read on ${type}`);
  // Raw: each document as the BSON the driver received, read by rawVersion.
  const docs = await repo
    .findVersions(type, filter, { projection: PROJECTION, sort: { _id: 1 }, batchSize: PAGE, raw: true })
    .limit(PAGE)
    .toArray();
  return (docs as unknown as Buffer[]).map(rawVersion);
}

function deletionLine(type: string, id: string, at: Date): string {
  return JSON.stringify({
    resourceType: 'Bundle',
    type: 'transaction',
    meta: { lastUpdated: at.toISOString() },
    entry: [{ request: { method: 'DELETE', url: `${type}/${id}` } }],
  });
}

/**
 * The lines of one type's export, as of `until` (the transactionTime): one pass over the current collection in
 * id order, so every resource is visited exactly once even while it is being written.
 *
 * - unchanged since `until`: its stored text, as is (no parse unless `_elements`);
 * - changed after `until`: the version that was current at `until`, from the history collection (none: created
 *   after, skipped); the search filter is evaluated on the current version, the only one indexed;
 * - deleted at `until`: with `_since`, a deletion entry when the deletion falls after `_since`; else nothing.
 */
export async function* exportLines(repo: Repository, type: string, opts: SourceOptions): AsyncGenerator<ExportLine> {
  const { since, until } = opts;
  const window: Filter<StoredDocument> = since ? { lu: { $gt: since } } : { $or: [{ del: false }, { lu: { $gt: until } }] };
  const base: Filter<StoredDocument>[] = [window];
  if (opts.filter && Object.keys(opts.filter).length) base.push(opts.filter);
  const render = (text: string | Buffer) => (opts.elements ? JSON.stringify(subset(JSON.parse(text.toString()) as Resource, undefined, opts.elements)) : text);
  // Keyset pages on _id rather than one long cursor: a server (the embedded engine among them) may hold a
  // cursor's whole result, and a page bounds that memory whatever the export size; ids are immutable, so pages
  // neither skip nor repeat a resource while others write. The next page is asked for as soon as a page has
  // arrived, so the store reads it while this one is written out: two pages in memory at most.
  const page = (after: string | undefined): Promise<RawVersion[]> => {
    const docs = currentVersions(repo, type, { $and: after === undefined ? base : [...base, { _id: { $gt: after } }] });
    // Handled now: it may fail while a line is being written; awaiting it below still throws the failure.
    docs.catch(() => undefined);
    return docs;
  };
  let next: Promise<RawVersion[]> | undefined = page(opts.afterId);
  while (next) {
    const docs: RawVersion[] = await next;
    next = docs.length === PAGE ? page(docs[docs.length - 1]._id) : undefined;
    for (const doc of docs) {
      let version: Version | null = doc;
      if (doc.lu > until.getTime()) version = await versionAt(repo, type, doc._id, until, opts.historyFilter);
      if (!version || (since && version.lu <= since.getTime())) continue;
      if (!version.del) yield { kind: 'output', id: doc._id, text: opts.expand ? await opts.expand(render(version.r)) : render(version.r) };
      else if (since) yield { kind: 'deleted', id: doc._id, text: deletionLine(type, doc._id, new Date(version.lu)) };
    }
  }
}

/** The version of a resource an export writes: the current one as read raw, or an older one from its history. */
type Version = Pick<RawVersion, 'lu' | 'del'> & { r: string | Buffer };

async function versionAt(repo: Repository, type: string, id: string, at: Date, bound?: Filter<HistoryDocument>): Promise<Version | null> {
  const filter: Filter<HistoryDocument> = { id, lu: { $lte: at } };
  const [doc] = await repo.historyCursor(type, bound ? { $and: [filter, bound] } : filter, 1).toArray();
  return doc ? { lu: doc.lu.getTime(), del: doc.del, r: doc.r } : null;
}
