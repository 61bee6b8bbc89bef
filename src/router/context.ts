import type { Bundle, OperationOutcomeIssue, Resource } from 'fhir/r4';
import type { Repository } from '../store/repository';
import type { FhirRequest, FhirResult } from './types';

/** What the search layer offers the router (src/search/index.ts), injected so the router is testable alone. */
export interface SearchApi {
  executeSearch(
    repo: Repository,
    type: string | undefined,
    query: Array<[string, string]>,
    opts: { strict: boolean; compartment?: { type: string; id: string }; selfUrl: string },
  ): Promise<Bundle>;
  findMatchingIds(repo: Repository, type: string, query: Array<[string, string]>, limit: number): Promise<string[]>;
}

export interface ValidationApi {
  /** Throws OperationOutcomeError (400/422) on errors; returns warnings. */
  assertValid(resource: Resource, repo: Repository, mode: 'create' | 'update'): Promise<OperationOutcomeIssue[]>;
}

/** Everything an interaction needs, for one request. */
export interface RouterContext {
  baseUrl: string;
  repo: Repository;
  search: SearchApi;
  validation: ValidationApi;
  isServedType(type: string): boolean;
  servedTypes(): string[];
  defaultPageSize: number;
  maxPageSize: number;
  /** Routes a nested request (bundle entries) through the same router, with this context's repository. */
  route(req: FhirRequest): Promise<FhirResult>;
  /**
   * Completes the resources of a searchset or history Bundle as a read would answer them (a Binary's bytes stored out
   * of line, src/binary/bundle-data.ts), in this context's repository; absent: entries are as stored.
   */
  completeBundle?(bundle: Bundle): Promise<void>;
  /** The same router over another repository (a transaction-bound one). */
  withRepo(repo: Repository): RouterContext;
}
