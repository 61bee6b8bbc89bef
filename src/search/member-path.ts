import { choiceTypePaths, path2Type, pathsDefinedElsewhere, type2Parent } from 'fhirpath/fhir-context/r4';
import type { FhirNode } from './expression';
import { codeElement } from './native-path';
import { typeFromSuffix } from '../fhir/primitive-types';

/**
 * Most search expressions are plain member navigation (`Patient.name.family`, `Observation.effective`). Walking
 * the JSON with the R4 model's type tables gives exactly what the FHIRPath engine returns for them (choice
 * elements resolved, arrays flattened, FHIR types attached) at a fraction of the cost, which matters because
 * indexing runs inside every write. Anything else (functions, operators) stays with fhirpath.js.
 */

const MEMBER_PATH = /^[A-Z][A-Za-z]+(\.[a-z][A-Za-z0-9]*)+$/;
const types = path2Type as Record<string, string | undefined>;
const choices = choiceTypePaths as Record<string, string[] | undefined>;
const elsewhere = pathsDefinedElsewhere as Record<string, string | undefined>;
const parents = type2Parent as Record<string, string | undefined>;

/** Types whose elements are looked up under their own path rather than a datatype name. */
const NESTED: ReadonlySet<string> = new Set(['BackboneElement', 'Element']);

/** The model path under which the elements of `typeOrPath` are described. */
function modelPath(typeOrPath: string, segment: string): string {
  let base: string | undefined = typeOrPath;
  while (base) {
    const p = `${base}.${segment}`;
    if (types[p] !== undefined || choices[p] !== undefined || elsewhere[p] !== undefined) return elsewhere[p] ?? p;
    base = base.includes('.') ? undefined : parents[base];
  }
  return `${typeOrPath}.${segment}`;
}

interface Step {
  /**
   * JSON keys to read and the FHIR type each yields; `next` is where the following segment is looked up, `element`
   * the element path of a code (FhirNode.element).
   */
  keys: Array<{ key: string; type: string; next: string; element?: string }>;
}

/** Compiles a member path for the resource type it starts with; undefined when the model does not describe it. */
function compilePath(path: string): Step[] | undefined {
  const [root, ...segments] = path.split('.');
  let current = root;
  const steps: Step[] = [];
  for (const segment of segments) {
    const p = modelPath(current, segment);
    const choice = choices[p];
    if (choice) {
      steps.push({ keys: choice.map((v) => ({ key: `${segment}${v}`, type: typeFromSuffix(v), next: typeFromSuffix(v) })) });
      current = '';
      continue;
    }
    const type = types[p];
    if (!type) return undefined;
    const next = NESTED.has(type) ? p : type;
    steps.push({ keys: [{ key: segment, type, next, element: type === 'code' ? codeElement(current, segment) : undefined }] });
    current = next;
  }
  // A choice followed by more segments would need per-variant lookups: leave those to fhirpath.js.
  return steps.slice(0, -1).some((s) => s.keys.length > 1) ? undefined : steps;
}

export type MemberEvaluator = (resource: unknown) => FhirNode[];

export function compileMemberPaths(branches: string[]): MemberEvaluator | undefined {
  if (!branches.every((b) => MEMBER_PATH.test(b))) return undefined;
  const compiled = branches.map((b) => ({ root: b.split('.')[0], steps: compilePath(b) }));
  if (compiled.some((c) => !c.steps)) return undefined;
  return (resource: unknown) => {
    const out: FhirNode[] = [];
    const rtype = (resource as { resourceType?: string }).resourceType;
    for (const { root, steps } of compiled) {
      if (root !== rtype && root !== 'Resource' && root !== 'DomainResource') continue;
      let level: FhirNode[] = [{ type: root, value: resource }];
      for (const step of steps!) {
        const next: FhirNode[] = [];
        for (const { value } of level) {
          if (!value || typeof value !== 'object') continue;
          for (const k of step.keys) {
            const v = (value as Record<string, unknown>)[k.key];
            const path = k.next.includes('.') ? k.next : undefined;
            const { type, element } = k;
            if (Array.isArray(v)) {
              for (const item of v) if (item !== null && item !== undefined) next.push({ type, value: item, path, element });
            } else if (v !== undefined && v !== null) next.push({ type, value: v, path, element });
          }
        }
        level = next;
      }
      out.push(...level);
    }
    return out;
  };
}
