import type { OperationOutcomeIssue } from 'fhir/r4';
import { choiceTypePaths } from 'fhirpath/fhir-context/r4';
import { lazy } from '../util/lazy';
import { PRIMITIVE_TYPES, typeFromSuffix } from '../fhir/primitive-types';

/**
 * Which layer found an issue. Only `structure` issues make a write fail with 400 (the body is not valid FHIR
 * JSON); errors of every other layer are business-rule failures (422).
 */
export type Layer = 'structure' | 'profile' | 'terminology' | 'invariant' | 'reference';

export interface Finding {
  layer: Layer;
  issue: OperationOutcomeIssue;
}

type Severity = OperationOutcomeIssue['severity'];
type Code = OperationOutcomeIssue['code'];

export function finding(layer: Layer, severity: Severity, code: Code, diagnostics: string, expression: string): Finding {
  return { layer, issue: { severity, code, diagnostics, expression: [expression] } };
}

export function isPrimitiveType(code: string): boolean {
  return PRIMITIVE_TYPES.has(code) || code.startsWith('http://hl7.org/fhirpath/System.');
}

/** `dateTime` -> `DateTime`: the suffix a choice element's JSON name carries for that type. */
export const typeSuffix = (code: string) => code.charAt(0).toUpperCase() + code.slice(1);

export { typeFromSuffix };

/** FHIRPath for the JSON property `key` of a choice element named `name`: `deceased.ofType(boolean)`. */
export const choiceStep = (name: string, type: string) => `${name}.ofType(${type})`;

/**
 * JSON property name -> FHIRPath step for every choice element variant in R4 (`valueQuantity` ->
 * `value.ofType(Quantity)`), from the R4 model `fhirpath` ships, so paths built from raw JSON locations (ajv
 * errors) read like the ones built from StructureDefinitions.
 */
const choiceKeys = lazy(() => {
  const steps = new Map<string, string>();
  for (const [path, types] of Object.entries(choiceTypePaths as Record<string, string[]>)) {
    const name = path.slice(path.lastIndexOf('.') + 1);
    for (const t of types) steps.set(name + t, choiceStep(name, typeFromSuffix(t)));
  }
  return steps;
});

/** `Patient` + `/name/0/given` (a JSON pointer) -> `Patient.name[0].given`. */
export function pointerToFhirPath(root: string, pointer: string): string {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const unescaped = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    // `_birthDate` carries birthDate's id and extensions: in FHIRPath they are `birthDate.extension`.
    const seg = unescaped.length > 1 && unescaped.startsWith('_') ? unescaped.slice(1) : unescaped;
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += '.' + (choiceKeys().get(seg) ?? seg);
  }
  return out;
}

/**
 * The same problem is often seen twice (the base definition and a profile both require `Patient.name`, or both
 * carry dom-6): keep the first of each severity/code/location/message.
 */
export function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of findings) {
    const k = `${f.issue.severity}|${f.issue.code}|${f.issue.expression?.[0]}|${f.issue.diagnostics}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(f);
  }
  return out;
}
