import type { OperationOutcome, OperationOutcomeIssue, Parameters, ParametersParameter, Resource } from 'fhir/r4';
import { badRequest, outcome } from '../errors/operation-outcome-error';
import { relativizeReferences } from '../fhir/references';
import type { Conformance } from './conformance';
import { checkResource, type ValidateOptions } from './validate-resource';

/**
 * `$validate` (POST [type]/$validate, POST [type]/[id]/$validate): the body is the resource itself or a
 * Parameters with `resource`, `mode` (create | update | delete) and `profile`. Answers an OperationOutcome (200)
 * whatever the resource's problems; only a malformed request throws (400). Nothing is stored.
 */

const MODES = new Set(['create', 'update', 'delete']);

interface Request {
  resource?: unknown;
  mode?: 'create' | 'update' | 'delete';
  profiles: string[];
}

function stringValue(p: ParametersParameter): string | undefined {
  return p.valueCode ?? p.valueUri ?? p.valueCanonical ?? p.valueString ?? p.valueUrl;
}

function readParameters(params: Parameters): Request {
  const req: Request = { profiles: [] };
  for (const p of params.parameter ?? []) {
    if (p.name === 'resource') {
      if (req.resource !== undefined) throw badRequest('$validate takes one resource', 'Parameters.parameter');
      req.resource = p.resource;
    } else if (p.name === 'mode') {
      const mode = stringValue(p);
      if (!mode || !MODES.has(mode)) throw badRequest(`$validate mode must be create, update or delete, got '${mode}'`, 'Parameters.parameter');
      req.mode = mode as Request['mode'];
    } else if (p.name === 'profile') {
      const url = stringValue(p);
      if (!url) throw badRequest('$validate profile needs a url value', 'Parameters.parameter');
      req.profiles.push(url);
    } else {
      throw badRequest(`Unknown $validate parameter '${p.name}'`, 'Parameters.parameter');
    }
  }
  return req;
}

function isParametersCall(type: string, body: Record<string, unknown>): boolean {
  if (body.resourceType !== 'Parameters') return false;
  if (type !== 'Parameters') return true;
  // Validating a Parameters resource itself: it is wrapped only when it carries a `resource` parameter.
  return ((body as unknown as Parameters).parameter ?? []).some((p) => p.name === 'resource' && p.resource);
}

export interface ValidateOperationOptions extends Pick<ValidateOptions, 'referenceExists' | 'storedTypes' | 'resourceCheck'> {
  /**
   * The server's public base URL: references to it by absolute URL are made relative before validation, as
   * create and update do before they validate, so `$validate` answers what a write would.
   */
  baseUrl?: string;
}

/** `conformance` is the server's (its profiles, terminology and enforced profiles), as for create and update. */
export async function validateOperation(
  conformance: Conformance,
  type: string,
  id: string | undefined,
  body: unknown,
  opts: ValidateOperationOptions,
): Promise<OperationOutcome> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('$validate needs a resource or a Parameters body');
  }
  const req = isParametersCall(type, body as Record<string, unknown>) ? readParameters(body as Parameters) : { resource: body, profiles: [] as string[] };

  if (req.mode === 'delete') {
    if (!id) throw badRequest('$validate with mode=delete needs an instance: POST [type]/[id]/$validate');
    return outcome([
      {
        severity: 'information',
        code: 'informational',
        diagnostics: `No rule of this server prevents deleting ${type}/${id}`,
      },
    ]);
  }
  const resource = req.resource as { resourceType?: unknown; id?: unknown } | undefined;
  if (resource === undefined) throw badRequest('$validate Parameters has no resource');
  if (typeof resource === 'object' && resource !== null && resource.resourceType !== type) {
    throw badRequest(`$validate on ${type} was given a ${String(resource.resourceType)}`);
  }
  const mode = req.mode ?? (id ? 'update' : undefined);
  const { baseUrl, ...checkOpts } = opts;
  let checked: unknown = resource;
  if (baseUrl && typeof resource === 'object' && resource !== null) {
    // A copy: the caller's body is not ours to rewrite.
    checked = structuredClone(resource);
    relativizeReferences(checked as Resource, baseUrl);
  }
  const result = await checkResource(conformance, checked, { ...checkOpts, mode, profiles: req.profiles });
  const issues: OperationOutcomeIssue[] = [...result.issues];
  if (id && typeof resource.id === 'string' && resource.id !== id) {
    issues.unshift({
      severity: 'error',
      code: 'invalid',
      diagnostics: `Resource id '${resource.id}' does not match the id in the URL '${id}'`,
      expression: [`${type}.id`],
    });
  }
  if (issues.length === 0) {
    issues.push({ severity: 'information', code: 'informational', diagnostics: 'No issues detected during validation' });
  }
  return outcome(issues);
}
