import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from 'fhir/r4';
import type { AuditInput, AuditInteraction, ExportJobRef } from './audit-input';
import { DISCLOSE_SUBTYPE, purposeOfEvent, recipientAgent } from './disclosure-shape';
import { untrustedDescription, untrustedIdentifier } from './untrusted-text';

/**
 * AuditEvents shaped after IHE Basic Audit Log Patterns (BALP): RESTful events typed `rest` with the interaction
 * as subtype; the client and this server as Source/Destination Role ID agents (the role follows the direction of
 * the data, as DICOM defines it); the OAuth user as a requestor agent; one entity per patient and per resource
 * touched, plus the query of a search.
 */
export interface AuditSource {
  /** Name of this server instance, as AuditEvent.source.observer. */
  sourceName: string;
  baseUrl: string;
}

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const REST = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
/** IHE Basic Audit Log Patterns: the entity that carries a request's X-Request-Id, to join the audit trail and logs. */
const REQUEST_ID_TYPE: Coding = {
  system: 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType',
  code: 'XrequestId',
  display: 'transport specific unique identifier where http X-Request-Id is used',
};
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';
const NETWORK_TYPE = { ip: '2', uri: '5' } as const;
/** How an event names the caller in protected mode, where no client authenticates. */
export const PROTECTED_MODE_CLIENT = 'local client (protected mode, no authorization configured)';

const REST_TYPE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'Restful Operation' };
const AUTHENTICATION_TYPE: Coding = { system: DCM, code: '110114', display: 'User Authentication' };
const LOGIN_SUBTYPE: Coding = { system: DCM, code: '110122', display: 'Login' };
const SOURCE_ROLE: Coding = { system: DCM, code: '110153', display: 'Source Role ID' };
const DESTINATION_ROLE: Coding = { system: DCM, code: '110152', display: 'Destination Role ID' };
const USER_AGENT: Coding = {
  system: 'https://profiles.ihe.net/ITI/BALP/CodeSystem/UserAgentTypes',
  code: 'UserOauthAgent',
  display: 'User OAuth Agent participant',
};
const APPLICATION_SERVER = { system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' };

const URI = 'urn:ietf:rfc:3986';
/** Identifier system of a client_id that a refused request claimed and the server did not verify. */
export const UNVERIFIED_CLIENT_ID = 'urn:fhirstone:unverified-client-id';
const JOB_ROLE: Coding = { system: OBJECT_ROLE, code: '20', display: 'Job' };
const JOB_STREAM_ROLE: Coding = { system: OBJECT_ROLE, code: '21', display: 'Job Stream' };

const MAX_RESOURCE_ENTITIES = 100;

/**
 * Action code (C/R/U/D/E) and restful-interaction subtype per interaction; `releases`: a success hands the client
 * data of the patients it names, which is a disclosure when the client acts for a recipient outside the covered entity.
 */
const SHAPE: Record<AuditInteraction, { action: AuditEvent['action']; subtype?: string; dataFlowsToClient: boolean; releases?: boolean }> = {
  read: { action: 'R', subtype: 'read', dataFlowsToClient: true, releases: true },
  vread: { action: 'R', subtype: 'vread', dataFlowsToClient: true, releases: true },
  search: { action: 'E', subtype: 'search', dataFlowsToClient: false, releases: true },
  history: { action: 'R', subtype: 'history', dataFlowsToClient: true, releases: true },
  create: { action: 'C', subtype: 'create', dataFlowsToClient: false },
  update: { action: 'U', subtype: 'update', dataFlowsToClient: false },
  patch: { action: 'U', subtype: 'patch', dataFlowsToClient: false },
  delete: { action: 'D', subtype: 'delete', dataFlowsToClient: false },
  capabilities: { action: 'R', subtype: 'capabilities', dataFlowsToClient: true },
  transaction: { action: 'E', subtype: 'transaction', dataFlowsToClient: false, releases: true },
  batch: { action: 'E', subtype: 'batch', dataFlowsToClient: false, releases: true },
  operation: { action: 'E', subtype: 'operation', dataFlowsToClient: false, releases: true },
  export: { action: 'E', subtype: 'operation', dataFlowsToClient: false },
  'export-status': { action: 'R', subtype: 'operation', dataFlowsToClient: true },
  'export-file': { action: 'R', subtype: 'operation', dataFlowsToClient: true, releases: true },
  'export-cancel': { action: 'D', subtype: 'operation', dataFlowsToClient: false },
  'job-status': { action: 'R', subtype: 'operation', dataFlowsToClient: true },
  'job-file': { action: 'R', subtype: 'operation', dataFlowsToClient: true },
  'job-cancel': { action: 'D', subtype: 'operation', dataFlowsToClient: false },
  token: { action: 'E', dataFlowsToClient: false },
  authenticate: { action: 'E', dataFlowsToClient: false },
};

/** 0 success, 4 minor failure (the client's fault: 4xx), 8 serious failure (the server's: 5xx). */
export function outcomeOf(status: number): AuditEvent['outcome'] {
  if (status < 400) return '0';
  if (status < 500) return '4';
  return '8';
}

const USER_REFERENCE = /(?:^|\/)(Practitioner|PractitionerRole|Patient|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/;

function agents(input: AuditInput, source: AuditSource, dataFlowsToClient: boolean): AuditEventAgent[] {
  const clientId = input.policy?.clientId ?? (input.status < 400 ? input.clientId : undefined);
  const user = input.policy?.user;
  const client: AuditEventAgent = {
    type: { coding: [dataFlowsToClient ? DESTINATION_ROLE : SOURCE_ROLE] },
    who: clientId ? { identifier: { value: clientId }, display: clientId } : claimedClient(input),
    requestor: !user,
  };
  if (clientId) client.name = clientId;
  if (input.remoteAddress) client.network = { address: input.remoteAddress, type: NETWORK_TYPE.ip };
  const server: AuditEventAgent = {
    type: { coding: [dataFlowsToClient ? SOURCE_ROLE : DESTINATION_ROLE] },
    who: { display: source.sourceName },
    requestor: false,
    network: { address: source.baseUrl, type: NETWORK_TYPE.uri },
  };
  const out = [client, server];
  if (user) {
    const agent: AuditEventAgent = {
      type: { coding: [USER_AGENT] },
      who: USER_REFERENCE.test(user) ? { reference: user } : { identifier: { value: user } },
      name: user,
      requestor: true,
    };
    if (input.policy?.tokenId) agent.policy = [input.policy.tokenId];
    out.push(agent);
  }
  return out;
}

/**
 * A client the server could not authenticate: the client_id it claimed, if any, under a system saying so, made
 * well-formed, one line and bounded (it is attacker-controlled text).
 */
function claimedClient(input: AuditInput): AuditEventAgent['who'] {
  if (input.policy?.unrestricted) return { display: PROTECTED_MODE_CLIENT };
  if (input.clientId === undefined) return { display: 'unauthenticated client' };
  const value = untrustedIdentifier(input.clientId);
  return { identifier: { system: UNVERIFIED_CLIENT_ID, value }, display: `unauthenticated client claiming client_id ${value} (unverified)` };
}

function entities(input: AuditInput): AuditEventEntity[] {
  const out: AuditEventEntity[] = [];
  const patients = new Set(input.patientIds ?? []);
  for (const id of patients) {
    out.push({
      what: { reference: `Patient/${id}` },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  const touched = new Set<string>();
  if (input.resourceType && input.id) {
    const ref = `${input.resourceType}/${input.id}`;
    const isPatientEntity = input.resourceType === 'Patient' && patients.has(input.id);
    if (!isPatientEntity || input.versionId) touched.add(input.versionId ? `${ref}/_history/${input.versionId}` : ref);
  }
  for (const ref of input.resources ?? []) {
    if (touched.size >= MAX_RESOURCE_ENTITIES) break;
    if (!(ref.startsWith('Patient/') && patients.has(ref.slice(8)))) touched.add(ref);
  }
  for (const ref of touched) {
    const detail = input.lifecycle?.entity === ref ? input.lifecycle.detail : undefined;
    out.push({
      what: { reference: ref },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
      ...(detail?.length ? { detail: detail.map((d) => ({ type: d.type, valueString: d.value })) } : {}),
    });
  }
  if (input.exportJob) out.push(...exportJobEntities(input.exportJob));
  if (input.query !== undefined || input.operation || input.path !== undefined) {
    const path = input.path ?? [input.resourceType, input.id, input.operation ? `$${input.operation}` : undefined].filter(Boolean).join('/');
    const asked = `${path}${input.query ? `?${input.query}` : ''}`;
    // A refused request's URL is whatever an unauthenticated caller sent.
    const text = input.path !== undefined ? untrustedDescription(asked, 2000) : asked;
    out.push({
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
      description: text,
      query: Buffer.from(text, 'utf8').toString('base64'),
    });
  }
  // Last, so the entities that say what was asked keep their places.
  if (input.requestId) out.push({ what: { identifier: { value: input.requestId } }, type: REQUEST_ID_TYPE });
  return out;
}

/** An asynchronous job (object role Job) and the file downloaded from it (Job Stream), by URL and name. */
function exportJobEntities(job: ExportJobRef): AuditEventEntity[] {
  const object = (url: string, role: Coding, name: string, description?: string): AuditEventEntity => ({
    what: { identifier: { system: URI, value: url } },
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role,
    name,
    ...(description ? { description } : {}),
  });
  const what = job.kind ? `Asynchronous ${job.kind} job` : 'Bulk Data export job';
  const out = [object(job.url, JOB_ROLE, job.id, what)];
  if (job.file) {
    const { file } = job;
    out.push(object(file.url, JOB_STREAM_ROLE, file.name, file.type ? `${job.kind ? `${what} file` : 'Bulk Data export file'} of ${file.type}` : undefined));
  }
  return out;
}

function historyLevel(input: AuditInput): string {
  if (input.id) return 'history-instance';
  return input.resourceType ? 'history-type' : 'history-system';
}

/** The AuditEvent for one request, without id, meta or hash chain (the trail adds those when it stores it). */
export function buildAuditEvent(input: AuditInput, source: AuditSource, recorded: Date): AuditEvent {
  const shape = SHAPE[input.interaction];
  const security = input.interaction === 'token' || input.interaction === 'authenticate';
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: security ? AUTHENTICATION_TYPE : REST_TYPE,
    action: shape.action,
    recorded: recorded.toISOString(),
    outcome: outcomeOf(input.status),
    agent: agents(input, source, shape.dataFlowsToClient),
    source: { observer: { display: source.sourceName }, type: [APPLICATION_SERVER] },
  };
  if (security) event.subtype = [LOGIN_SUBTYPE];
  else if (shape.subtype) {
    const code = shape.subtype === 'history' ? historyLevel(input) : shape.subtype;
    event.subtype = [{ system: REST, code, display: code }];
    if (input.lifecycle) event.subtype.push({ system: LIFECYCLE, code: input.lifecycle.code, display: input.lifecycle.display });
  }
  if (input.status >= 400) {
    const description = input.outcomeDescription ? `: ${untrustedDescription(input.outcomeDescription)}` : '';
    event.outcomeDesc = `HTTP ${input.status}${description}`;
  }
  const entity = entities(input);
  if (entity.length) event.entity = entity;
  event.purposeOfEvent = purposeOfEvent(input.policy);
  const recipient = input.policy?.recipient;
  if (recipient?.outsideCoveredEntity) {
    event.agent.push(recipientAgent(recipient));
    if (shape.releases && input.status < 400 && input.patientIds?.length) event.subtype = [...(event.subtype ?? []), DISCLOSE_SUBTYPE];
  }
  return event;
}
