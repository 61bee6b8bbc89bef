import type { Job, JobCheckpoint } from '../jobs/job';
import type { ExportLevel } from './parameters';

/**
 * A problem the export went on despite, one OperationOutcome line of the manifest's error file: a bare message is
 * something not supported (a parameter ignored under lenient handling, a type left out), its issue code
 * `not-supported`; Group members that resolve to no Patient are `not-found`.
 */
export type ExportWarning = string | { code: 'not-found'; message: string };

/** Everything the worker needs, fixed at kick-off so any instance can run or resume the job. */
export interface ExportPlan {
  level: ExportLevel;
  groupId?: string;
  types: string[];
  /** Patient compartment bound; undefined = no bound (system level, or all patients with `anyPatient`). */
  patients?: string[];
  /** Patient level over every patient: only resources in some patient's compartment. */
  anyPatient: boolean;
  since?: Date;
  /** Versions up to this instant are exported: the transactionTime (or `_until`, when earlier). */
  until: Date;
  elements?: string[];
  /** Per type, OR-ed `_typeFilter` queries, as query-string text. */
  typeFilters: Record<string, string[]>;
  /** Per type, OR-ed SMART granular scope restrictions, ANDed with the type filters. */
  restrictions: Record<string, string[]>;
  warnings: ExportWarning[];
}

/** Where a running export is: everything before it is in completed files. */
export interface Checkpoint extends JobCheckpoint {
  typeIndex: number;
  /** Last resource id of the type written to a completed file; undefined = type not started. */
  afterId?: string;
}

/** A `$export` job (kind `export`; jobs stored before kinds existed have none). */
export type ExportJob = Job<ExportPlan, Checkpoint>;
