import type { OperationOutcomeIssue } from 'fhir/r4';
import { OperationOutcomeError } from '../errors/operation-outcome-error';
import type { Conformance } from './conformance';
import { collectFindings, type ResourceCheck } from './resource-validation';

export interface ValidateOptions {
  mode?: 'create' | 'update' | 'delete';
  /** Extra profiles to check besides meta.profile and the enforced ones (an unknown one is an error). */
  profiles?: string[];
  /** Given by the repository (access policy applied): does `type/id` exist and is it not deleted? */
  referenceExists?: (type: string, id: string) => Promise<boolean>;
  /** Which types the server stores: references to other types are not looked up. */
  storedTypes?: (type: string) => boolean;
  /** The server's checks beyond the definitions (ICD-10-CM codings on their date of service). */
  resourceCheck?: ResourceCheck;
}

export interface CheckResult {
  issues: OperationOutcomeIssue[];
  /** The body is not valid FHIR JSON (layer 1): a write must answer 400. */
  structural: boolean;
  /** Any error at all (structural or business rule). */
  failed: boolean;
}

/**
 * An update stores the resource as `type/id`, so a reference to `type/id` in it (DocumentReference.relatesTo to
 * itself, as the official example has) is satisfied by the write itself, as it is inside a transaction.
 */
function selfAware(opts: ValidateOptions, type: unknown, id: unknown): ValidateOptions['referenceExists'] {
  const exists = opts.referenceExists;
  if (!exists || opts.mode !== 'update' || typeof type !== 'string' || typeof id !== 'string') return exists;
  return (t, i) => (t === type && i === id ? Promise.resolve(true) : exists(t, i));
}

/**
 * Every issue of every layer, without throwing: what `$validate` reports. `conformance` is the server's: its
 * profiles, terminology and the profiles it enforces on every resource of a type, whatever its meta.profile says.
 */
export async function checkResource(conformance: Conformance, resource: unknown, opts: ValidateOptions = {}): Promise<CheckResult> {
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  const required = [...(typeof type === 'string' ? conformance.enforcedProfiles(type) : []), ...(opts.profiles ?? [])];
  const findings = await collectFindings(conformance, resource, {
    requiredProfiles: required,
    referenceExists: selfAware(opts, type, (resource as { id?: unknown } | null)?.id),
    storedTypes: opts.storedTypes,
    resourceCheck: opts.resourceCheck,
  });
  if (opts.mode === 'update' && typeof (resource as { id?: unknown } | null)?.id !== 'string' && typeof type === 'string') {
    findings.unshift({
      layer: 'structure',
      issue: { severity: 'error', code: 'required', diagnostics: 'An update needs the resource id in the body', expression: [`${type}.id`] },
    });
  }
  const errors = findings.filter((f) => f.issue.severity === 'error' || f.issue.severity === 'fatal');
  return {
    issues: findings.map((f) => f.issue),
    structural: errors.some((f) => f.layer === 'structure'),
    failed: errors.length > 0,
  };
}

/**
 * Validates a resource about to be stored. Throws OperationOutcomeError 400 when the JSON is not valid FHIR
 * (structure), 422 for profile, terminology, invariant or reference errors, with every issue found; otherwise
 * returns the warnings and information issues (for `Prefer: return=OperationOutcome`). A deletion has no content
 * to validate.
 */
export async function validateResource(conformance: Conformance, resource: unknown, opts: ValidateOptions = {}): Promise<OperationOutcomeIssue[]> {
  if (opts.mode === 'delete') return [];
  const result = await checkResource(conformance, resource, opts);
  if (result.failed) throw new OperationOutcomeError(result.structural ? 'invalid' : 'unprocessable', result.issues);
  return result.issues;
}

/** Same as `validateResource`: the name reads better at call sites that only want the throw. */
export const assertValid = validateResource;
