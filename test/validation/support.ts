import type { OperationOutcomeIssue } from 'fhir/r4';
import { isOperationOutcomeError, type OperationOutcomeError } from '../../src/errors/operation-outcome-error';
import { checkResource, Conformance, type ValidateOptions } from '../../src/validation';

export const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';

/** What a server without PROFILES_DIR or ENFORCE_PROFILES validates against: R4 and the bundled profiles. */
export const bundled = new Conformance();

/** Every issue for a resource, without throwing. */
export async function issuesOf(resource: unknown, opts: ValidateOptions = {}, conformance = bundled): Promise<OperationOutcomeIssue[]> {
  return (await checkResource(conformance, resource, opts)).issues;
}

export const errorsOf = async (resource: unknown, opts: ValidateOptions = {}, conformance = bundled) =>
  (await issuesOf(resource, opts, conformance)).filter((i) => i.severity === 'error');

/** `expression: diagnostics` of each error, for readable failure messages. */
export const describeIssues = (issues: OperationOutcomeIssue[]) => issues.map((i) => `${i.severity} ${i.expression?.[0]}: ${i.diagnostics}`);

/** The first issue at `expression` whose diagnostics contain `text`. */
export function issueAt(issues: OperationOutcomeIssue[], expression: string, text?: string) {
  return issues.find((i) => i.expression?.[0] === expression && (!text || i.diagnostics?.includes(text)));
}

/** A Patient with all US Core Patient requires, to be broken one rule at a time. */
export function usCorePatient(): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    meta: { profile: [`${US_CORE}us-core-patient`] },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Amy Shaw</div>' },
    identifier: [{ system: 'http://hospital.example.org', value: '1032702' }],
    name: [{ family: 'Shaw', given: ['Amy'] }],
    gender: 'female',
    birthDate: '1987-02-20',
  };
}

export function condition(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Condition',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Asthma</div>' },
    subject: { reference: 'Patient/p1' },
    code: { text: 'Asthma' },
    ...extra,
  };
}

/** The OperationOutcomeError a call rejects with (fails the test when it resolves or throws something else). */
export async function rejectionOf(p: Promise<unknown>): Promise<OperationOutcomeError> {
  try {
    await p;
  } catch (err) {
    if (isOperationOutcomeError(err)) return err;
    throw err;
  }
  throw new Error('expected an OperationOutcomeError');
}
