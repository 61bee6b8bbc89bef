import type { AccessPolicy } from '../auth/access-policy';

/** What happened, in the words of the FHIR RESTful API, plus the security events around it. */
export type AuditInteraction =
  | 'read'
  | 'vread'
  | 'search'
  | 'history'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'capabilities'
  | 'transaction'
  | 'batch'
  | 'operation'
  /** `$export` (bulk data), kept apart from other operations because it releases many patients' data at once. */
  | 'export'
  /** The release of a bulk export after its kick-off: a status poll, a file download, a cancel (DELETE). */
  | 'export-status'
  | 'export-file'
  | 'export-cancel'
  /** The same for every other asynchronous job (src/jobs): `$job-status`, `$job-file`. */
  | 'job-status'
  | 'job-file'
  | 'job-cancel'
  /** An access token issued (or refused) by the built-in token endpoint. */
  | 'token'
  /** A request refused for want of a valid access token (401), or refused unverified by the throttle (429). */
  | 'authenticate';

/**
 * One request, as the HTTP adapter sees it once the response status is known. The adapter calls
 * `AuditTrail.record(input)` from a single place after every request, allowed or denied.
 */
export interface AuditInput {
  interaction: AuditInteraction;
  /** Target type (absent for system-level search, history, transaction, batch, capabilities). */
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** Operation name without `$`, for 'operation' and 'export'. */
  operation?: string;
  /** Patients whose data the request read, returned or wrote. */
  patientIds?: readonly string[];
  /** Other resources touched as `Type/id` (search results, bundle entries); the event keeps the first 100. */
  resources?: readonly string[];
  /** The asynchronous job (and file) an 'export-*' or 'job-*' request is about. */
  exportJob?: ExportJobRef;
  /** The record lifecycle event an operation performed (placing a legal hold), added to the event's subtype. */
  lifecycle?: LifecycleEvent;
  /** Query string of a search, history or operation, without the leading `?`. */
  query?: string;
  /**
   * Path below the FHIR base of a request refused before it became a FHIR request (a 401): kept as text only, since
   * nothing in it was authorised, so it names no resource or patient.
   */
  path?: string;
  /** HTTP status of the response. */
  status: number;
  /** Error diagnostics for a failed request. */
  outcomeDescription?: string;
  /** Who asked: the request's policy (client, user, token id). */
  policy?: Pick<AccessPolicy, 'clientId' | 'user' | 'tokenId' | 'unrestricted' | 'purposeOfUse' | 'recipient'>;
  /**
   * The client when there is no policy yet (token endpoint, failed authentication): authenticated when `status` is
   * below 400, otherwise only what the request claimed, which the event records as unverified.
   */
  clientId?: string;
  /** Network address of the client. */
  remoteAddress?: string;
  /** The request's `X-Request-Id` (the caller's when acceptable, else the server's), recorded as IHE BALP does. */
  requestId?: string;
  /** When the request was received; defaults to when it is recorded. */
  recorded?: Date;
}

/**
 * A record lifecycle event (ISO 21089, http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle) an operation
 * performed, so its AuditEvent says so beside the RESTful subtype: the code, the resource it was recorded in
 * (`Basic/x`), and why, as details of that resource's entity.
 */
export interface LifecycleEvent {
  code: string;
  display: string;
  entity?: string;
  detail?: ReadonlyArray<{ type: string; value: string }>;
}

export interface ExportJobRef {
  id: string;
  /** The job's kind, when it is not a Bulk Data export (src/jobs/kind.ts). */
  kind?: string;
  /** Its status URL. */
  url: string;
  file?: { name: string; url: string; /** Resource type of its lines, when the file exists. */ type?: string };
}
