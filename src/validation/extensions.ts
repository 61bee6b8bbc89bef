import type { StructureDefinition } from 'fhir/r4';
import { type2Parent } from 'fhirpath/fhir-context/r4';
import type { Conformance } from './conformance';
import type { ValidationContext } from './context';
import { finding } from './issues';

/** The definition of an extension by its absolute url, from the profile folders or the R4 core extensions. */
export function extensionDefinition(conformance: Conformance, url: string): StructureDefinition | undefined {
  const sd = conformance.structureDefinition(url);
  return sd?.type === 'Extension' && sd.snapshot ? sd : undefined;
}

/** Where an extension is being used: the element path and FHIR type of the element that carries it. */
export interface Host {
  /** Path of the host element in the definition being walked: `Patient`, `Patient.address`, `Address`. */
  path: string;
  type: string;
  /** FHIRPath of the host in the instance: `Patient.address[0]`. */
  location: string;
}

function hostNames(host: Host): Set<string> {
  const names = new Set([host.path, host.type, host.location.replace(/\[\d+\]/g, '')]);
  const parents = type2Parent as Record<string, string | undefined>;
  for (let t = parents[host.type]; t; t = parents[t]) names.add(t);
  names.add('Element');
  return names;
}

/**
 * Is the extension allowed on its host, by the definition's `context`? Contexts given as FHIRPath expressions
 * are accepted (not evaluated); element contexts must name the host's path, its type or a type it derives from.
 */
export function checkExtensionContext(sd: StructureDefinition, host: Host, extensionLocation: string, ctx: ValidationContext): void {
  const contexts = sd.context ?? [];
  if (contexts.length === 0) return;
  const names = hostNames(host);
  for (const c of contexts) {
    if (c.type === 'fhirpath') return;
    if (c.type === 'element' && (names.has(c.expression) || names.has(c.expression.replace(/\[x\]$/, '')))) return;
    if (c.type === 'extension' && host.type === 'Extension') return;
  }
  const allowed = contexts.map((c) => c.expression).join(', ');
  ctx.findings.push(finding('profile', 'error', 'structure', `Extension ${sd.url} is not allowed on ${host.path} (its contexts: ${allowed})`, extensionLocation));
}

/**
 * A modifier extension (its definition's root element says `isModifier`) belongs in `modifierExtension`, and
 * only such an extension does: one in the wrong place is either a modifier a reader would skip or an ordinary
 * extension claiming to change the meaning of its host.
 */
export function checkModifierUse(sd: StructureDefinition, usedAsModifier: boolean, extensionLocation: string, ctx: ValidationContext): void {
  const isModifier = sd.snapshot?.element[0]?.isModifier === true;
  if (isModifier === usedAsModifier) return;
  const text = isModifier
    ? `Extension ${sd.url} is a modifier extension: it must be a modifierExtension, not an extension`
    : `Extension ${sd.url} is not a modifier extension: it must be an extension, not a modifierExtension`;
  ctx.findings.push(finding('profile', 'error', 'structure', text, extensionLocation));
}
