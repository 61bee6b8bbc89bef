import type { Binary, Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';
import { buffer } from 'node:stream/consumers';
import { issue, outcome } from '../errors/operation-outcome-error';
import { SUBSETTED, tagSubsetted } from '../router/subsetting';
import type { Repository } from '../store/repository';
import type { BinaryBytes } from './byte-store';

/** A Binary entry whose bytes are out of line: its resource, and `<id>/<vid>`, the key of its bytes. */
interface Wanting {
  entry: BundleEntry;
  binary: Binary;
  key: string;
}

function isSubsetted(binary: Binary): boolean {
  return binary.meta?.tag?.some((t) => t.system === SUBSETTED.system && t.code === SUBSETTED.code) ?? false;
}

/**
 * Entries whose Binary lacks the `data` a read would give: out of line bytes, not left out on purpose (`_summary`,
 * `_elements` subset a resource and tag it SUBSETTED; such a Binary stays as the client asked it).
 */
function wanting(bundle: Bundle): Wanting[] {
  const out: Wanting[] = [];
  for (const entry of bundle.entry ?? []) {
    if (entry.resource?.resourceType !== 'Binary') continue;
    const binary = entry.resource as Binary;
    if (binary.data !== undefined || binary.id === undefined || isSubsetted(binary)) continue;
    const vid = binary.meta?.versionId;
    if (vid !== undefined) out.push({ entry, binary, key: `${binary.id}/${vid}` });
  }
  return out;
}

/** Says in the Bundle which Binaries came without their bytes, where the Bundle's type has room for it. */
function reportOmitted(bundle: Bundle, omitted: Array<{ entry: BundleEntry; text: string }>, budget: number): void {
  const warning = (text: string): OperationOutcomeIssue =>
    issue(
      'too-costly',
      `${text}: its data is left out, over the ${budget} bytes of Binary content a Bundle carries; read it by id (raw, with Range)`,
      undefined,
      'warning',
    );
  if (bundle.type === 'searchset') {
    const issues = omitted.map((o) => warning(o.text));
    const notes = bundle.entry?.find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome | undefined;
    if (notes) notes.issue.push(...issues);
    else bundle.entry?.push({ resource: outcome(issues), search: { mode: 'outcome' } });
    return;
  }
  // history: each entry has a response, whose outcome holds its warnings.
  for (const o of omitted) {
    if (!o.entry.response) continue;
    o.entry.response.outcome = outcome([warning(o.text)]);
  }
}

/**
 * The Binaries of a searchset or history Bundle (search, `_include`, history, `$everything`) as a read answers them
 * in FHIR JSON: bytes stored out of line (over ATTACHMENT_INLINE_LIMIT) are filled in as base64 `data`, in entry
 * order, while their sum stays within `budget` bytes (BINARY_BUNDLE_DATA_LIMIT), so a page of large documents never
 * becomes a Bundle of gigabytes. A Binary whose bytes do not fit is returned without `data`, tagged SUBSETTED (R4's
 * mark of a resource with elements left out), with a warning naming it: an OperationOutcome entry in a searchset, the
 * entry's `response.outcome` in a history. The entries were read through the caller's repository, so its policy
 * already applied; the bytes are read in its transaction.
 */
export function bundleBinaryData(bytes: BinaryBytes, budget: number) {
  return async (repo: Repository, bundle: Bundle): Promise<void> => {
    const entries = wanting(bundle);
    if (entries.length === 0) return;
    const sizes = await bytes.sizes(
      entries.map((e) => e.key),
      repo.sessionOptions,
    );
    let left = budget;
    const omitted: Array<{ entry: BundleEntry; text: string }> = [];
    for (const { entry, binary, key } of entries) {
      const size = sizes.get(key);
      if (size === undefined) continue; // a Binary written without content
      if (size > left) {
        tagSubsetted(binary as unknown as Record<string, unknown>);
        omitted.push({ entry, text: `Binary/${binary.id} (version ${binary.meta?.versionId}) holds ${size} bytes` });
        continue;
      }
      const [id, vid] = key.split('/');
      const content = await bytes.open(id, Number(vid), repo.sessionOptions);
      if (!content) continue;
      binary.data = (await buffer(content.read())).toString('base64');
      left -= size;
    }
    if (omitted.length) reportOmitted(bundle, omitted, budget);
  };
}
