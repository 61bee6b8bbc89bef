import { SearchRegistry } from './registry';

export interface SearchContextOptions {
  /** Folders with SearchParameter resources beyond the project's profiles/ (the server's PROFILES_DIR). */
  profilesDirs?: readonly string[];
  /** The public base of the FHIR API, when configured; otherwise known once the server listens (`listensAt`). */
  baseUrl?: string;
}

/**
 * What search knows about one server: its search parameters (R4, US Core, its profile folders) and its public
 * base URL, so absolute references to it are indexed and searched in their relative form. Made once per server
 * (src/services.ts) and handed to every entry point of the search layer, so two servers in one process (tests,
 * benches, the loader) each search with their own.
 */
export class SearchContext {
  readonly registry: SearchRegistry;
  private base: string | undefined;

  constructor(opts: SearchContextOptions = {}) {
    this.registry = new SearchRegistry(opts.profilesDirs);
    this.base = trimmed(opts.baseUrl);
  }

  /** No trailing slash; undefined until known (index-on-write runs before the server listens: re-indexing). */
  get baseUrl(): string | undefined {
    return this.base;
  }

  /** The base URL the server answers at, once it listens (the configured one, or one from the bound port). */
  listensAt(baseUrl: string): void {
    this.base = trimmed(baseUrl);
  }
}

const trimmed = (url: string | undefined) => url?.replace(/\/+$/, '');
