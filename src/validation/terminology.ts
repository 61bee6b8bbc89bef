import type { Coding } from 'fhir/r4';
import { firstTime, type ValidationContext } from './context';
import type { Item } from './element-items';
import type { ElementNode } from './element-tree';
import { finding } from './issues';
import { expand, membership, type Membership } from './valueset-expansion';

/** The codings an occurrence carries, by its type; undefined for types bindings do not apply to. */
function codingsOf(item: Item): Array<Pick<Coding, 'system' | 'code'>> | undefined {
  const v = item.value;
  switch (item.type) {
    case 'code':
    case 'string':
    case 'uri':
      return typeof v === 'string' ? [{ code: v }] : [];
    case 'Coding':
      return v && typeof v === 'object' && typeof (v as Coding).code === 'string' ? [v as Coding] : [];
    case 'Quantity':
      return v && typeof v === 'object' && typeof (v as Coding).code === 'string'
        ? [{ system: (v as Coding).system, code: (v as Coding).code }]
        : [];
    case 'CodeableConcept': {
      const codings = (v as { coding?: Coding[] } | undefined)?.coding;
      return Array.isArray(codings) ? codings.filter((c) => c && typeof c.code === 'string') : [];
    }
    default:
      return undefined;
  }
}

/**
 * Layer 3: the binding of an element. Required: a code not in the ValueSet is an error. Extensible and preferred:
 * a warning. A ValueSet (or the part of it a code falls in) that cannot be expanded from the bundled
 * CodeSystems is reported as not checked, never passed as valid. Example bindings are not checked.
 */
export function checkBinding(node: ElementNode, item: Item, ctx: ValidationContext, source: string): void {
  const binding = node.def.binding;
  if (!binding?.valueSet || binding.strength === 'example') return;
  const codings = codingsOf(item);
  if (!codings || codings.length === 0) return;
  if (!firstTime(ctx, `binding:${binding.valueSet}@${item.location}`)) return;
  const exp = expand(binding.valueSet);
  let best: Membership = 'not-member';
  for (const c of codings) {
    const m = membership(exp, c.system, c.code as string);
    if (m === 'member') return;
    if (m === 'unknown') best = 'unknown';
  }
  const shown = codings.map((c) => (c.system ? `${c.system}#${c.code}` : c.code)).join(', ');
  if (best === 'unknown') {
    const why = exp.opaque ?? `it draws on ${[...exp.partialSystems].join(', ')}, not available locally`;
    ctx.findings.push(
      finding('terminology', 'information', 'informational', `Code ${shown} not checked against ${binding.strength} ValueSet ${binding.valueSet}: ${why}`, item.location),
    );
    return;
  }
  const severity = binding.strength === 'required' ? 'error' : 'warning';
  ctx.findings.push(
    finding('terminology', severity, 'code-invalid', `Code ${shown} is not in the ${binding.strength} ValueSet ${binding.valueSet} (${source})`, item.location),
  );
}
