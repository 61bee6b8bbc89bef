import type { Coding } from 'fhir/r4';
import { firstTime, type ValidationContext } from './context';
import type { Item } from './element-items';
import type { ElementNode } from './element-tree';
import { finding } from './issues';
import { expand, membership, type Membership } from './valueset-expansion';
import { isJsonObject } from '../fhir/json';

type Code = Pick<Coding, 'system' | 'code'>;

/** Types whose value is a bare code: there is no system to give, so the code may come from any system. */
const BARE_CODE_TYPES = new Set(['code', 'string', 'uri']);

/** The codes an occurrence carries, by its type; undefined for types bindings do not apply to. */
function codingsOf(item: Item): Code[] | undefined {
  const v = item.value;
  switch (item.type) {
    case 'code':
    case 'string':
    case 'uri':
      return typeof v === 'string' ? [{ code: v }] : [];
    case 'Coding':
    case 'Quantity':
      return isJsonObject(v) && typeof v.code === 'string' ? [{ system: v.system as string | undefined, code: v.code }] : [];
    case 'CodeableConcept': {
      const codings = isJsonObject(v) ? v.coding : undefined;
      return Array.isArray(codings) ? codings.filter((c) => isJsonObject(c) && typeof c.code === 'string') : [];
    }
    default:
      return undefined;
  }
}

/**
 * Layer 3: the binding of an element. Required: a code not in the ValueSet is an error. Extensible and preferred:
 * a warning. A ValueSet (or the part of it a code falls in) that cannot be expanded from the bundled
 * CodeSystems is reported as not checked, never passed as valid. Example bindings are not checked.
 *
 * A Coding (alone, in a CodeableConcept or a Quantity's unit) without a system cannot be shown to be in a
 * ValueSet, so it never satisfies a binding; a bare `code` has no system to give and matches any system. A required
 * binding on a CodeableConcept or Coding needs a code from the ValueSet: text alone does not meet it (it does meet
 * an extensible binding, for which no suitable code may exist).
 */
export function checkBinding(node: ElementNode, item: Item, ctx: ValidationContext, source: string): void {
  const binding = node.def.binding;
  if (!binding?.valueSet || binding.strength === 'example') return;
  const codings = codingsOf(item);
  if (!codings) return;
  const required = binding.strength === 'required';
  if (codings.length === 0) {
    const coded = item.type === 'CodeableConcept' || item.type === 'Coding';
    if (required && coded && isJsonObject(item.value) && firstTime(ctx, `binding:${binding.valueSet}@${item.location}`)) {
      ctx.findings.push(
        finding(
          'terminology',
          'error',
          'code-invalid',
          `No code from the required ValueSet ${binding.valueSet}: a required binding needs a coding from it, text alone does not meet it (${source})`,
          item.location,
        ),
      );
    }
    return;
  }
  if (!firstTime(ctx, `binding:${binding.valueSet}@${item.location}`)) return;
  const exp = expand(ctx.conformance, binding.valueSet);
  const bare = BARE_CODE_TYPES.has(item.type);
  let best: Membership = 'not-member';
  let withoutSystem = 0;
  for (const c of codings) {
    if (!bare && typeof c.system !== 'string') {
      withoutSystem++;
      continue;
    }
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
  const severity = required ? 'error' : 'warning';
  const why = withoutSystem ? ': a coding without a system cannot be shown to be a member' : '';
  ctx.findings.push(
    finding('terminology', severity, 'code-invalid', `Code ${shown} is not in the ${binding.strength} ValueSet ${binding.valueSet} (${source})${why}`, item.location),
  );
}
