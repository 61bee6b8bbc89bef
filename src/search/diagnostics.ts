/**
 * What search had to leave out, per server: parameters whose expression failed on a resource at index-on-write
 * (that resource is then unsearchable by them) and SearchParameter definitions from profile folders that could not
 * be used. Counted for the health endpoint and warned about once per parameter, so a bad definition or odd data
 * is visible without flooding the log. Bounded: at most MAX_TRACKED parameters are named, the rest share one count.
 */

/** A SearchParameter found in a profile folder and not used, with why. */
export interface SkippedSearchParameter {
  file: string;
  url?: string;
  reason: string;
}

export interface SearchHealth {
  /** Index-on-write failures per `Type.code` since the server started. */
  searchIndexErrors: Record<string, number>;
  /** The first MAX_LISTED skipped definitions; `skippedSearchParameterCount` has them all. */
  skippedSearchParameters: SkippedSearchParameter[];
  skippedSearchParameterCount: number;
}

export type SearchWarning = (details: Record<string, unknown>, message: string) => void;

const MAX_TRACKED = 100;
const MAX_LISTED = 20;
/** The key counting failures of parameters beyond the first MAX_TRACKED. */
export const OTHER_PARAMETERS = '(other parameters)';

export class SearchDiagnostics {
  private readonly indexErrors = new Map<string, number>();
  private skipped: readonly SkippedSearchParameter[] = [];
  /** Warnings raised before a logger was attached (the store re-indexes before the services start). */
  private pending: Array<[Record<string, unknown>, string]> = [];
  private sink: SearchWarning | undefined;

  /** Where warnings go from now on; those raised before are written first. */
  attach(sink: SearchWarning): void {
    this.sink = sink;
    for (const [details, message] of this.pending) sink(details, message);
    this.pending = [];
  }

  /** The expression of `code` failed on a resource of `type` (the resource is stored, unsearchable by it). */
  indexFailed(type: string, code: string, err: unknown): void {
    let key = `${type}.${code}`;
    const count = this.indexErrors.get(key);
    if (count === undefined && this.indexErrors.size >= MAX_TRACKED) key = OTHER_PARAMETERS;
    const seen = this.indexErrors.get(key);
    this.indexErrors.set(key, (seen ?? 0) + 1);
    if (seen === undefined) {
      const message = err instanceof Error ? err.message : String(err);
      this.warn(
        { parameter: key, error: message },
        'search parameter failed at index-on-write: resources it fails on are not searchable by it (warned once per parameter)',
      );
    }
  }

  /** The definitions left out of the registry's last load (replaces the previous list). */
  definitionsSkipped(skipped: readonly SkippedSearchParameter[]): void {
    this.skipped = skipped;
    for (const s of skipped.slice(0, MAX_LISTED)) this.warn({ ...s }, 'SearchParameter definition skipped');
    if (skipped.length > MAX_LISTED) this.warn({ count: skipped.length }, 'more SearchParameter definitions skipped');
  }

  report(): SearchHealth {
    return {
      searchIndexErrors: Object.fromEntries(this.indexErrors),
      skippedSearchParameters: this.skipped.slice(0, MAX_LISTED),
      skippedSearchParameterCount: this.skipped.length,
    };
  }

  private warn(details: Record<string, unknown>, message: string): void {
    if (this.sink) this.sink(details, message);
    else if (this.pending.length < MAX_TRACKED + MAX_LISTED + 1) this.pending.push([details, message]);
  }
}
