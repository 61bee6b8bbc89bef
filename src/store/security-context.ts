import type { FindOptions } from 'mongodb';
import type { AccessPolicy } from '../auth/access-policy';
import { isJsonObject } from '../fhir/json';
import { isStorableType } from '../fhir/resource-types';

/**
 * Binary.securityContext: a Binary carries no patient reference of its own, so the resource it names decides who
 * may read it (R4 Binary: "use the access rules of the referenced resource"). Checked when the Binary is read, not
 * indexed when it is written, so the Binary follows its target when that resource moves to another patient or
 * is deleted.
 */
export interface ContextTarget {
  type: string;
  id: string;
}

const LOCAL_REFERENCE = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * The securityContext of a stored Binary's text: undefined when it has none, null when it names something this
 * server cannot check (an absolute URL, a logical identifier, a malformed reference).
 */
export function securityContextOf(text: string | undefined): ContextTarget | null | undefined {
  if (text === undefined) return null;
  let resource: unknown;
  try {
    resource = JSON.parse(text);
  } catch {
    return null;
  }
  const context = isJsonObject(resource) ? resource.securityContext : undefined;
  if (context === undefined) return undefined;
  const reference = isJsonObject(context) ? context.reference : undefined;
  const match = typeof reference === 'string' ? LOCAL_REFERENCE.exec(reference) : null;
  if (!match || !isStorableType(match[1]) || match[1] === 'Binary') return null;
  return { type: match[1], id: match[2] };
}

/**
 * May `policy` read the Binary stored as `text`? Unrestricted callers always; otherwise exactly when the
 * securityContext target is readable (`targetReadable` asks the repository under the same policy). Without a
 * securityContext only callers not bound to a patient; with one the server cannot check, the same.
 */
export async function binaryReadable(
  policy: AccessPolicy,
  text: string | undefined,
  targetReadable: (target: ContextTarget) => Promise<boolean>,
): Promise<boolean> {
  if (policy.unrestricted) return true;
  const target = securityContextOf(text);
  if (!target) return !policy.patientIds;
  return targetReadable(target);
}

/** `docs` without the Binaries `policy` may not read (see binaryReadable). */
export async function* readableBinaries<T extends { r?: string }>(
  policy: AccessPolicy,
  docs: AsyncIterable<T>,
  targetReadable: (target: ContextTarget) => Promise<boolean>,
): AsyncIterable<T> {
  for await (const doc of docs) {
    if (await binaryReadable(policy, doc.r, targetReadable)) yield doc;
  }
}

/** An inclusion projection gains the resource text, which the securityContext is read from. */
export function withResourceText(projection: FindOptions['projection']): FindOptions['projection'] {
  if (!projection || !Object.values(projection).some((v) => v === 1 || v === true)) return projection;
  return { ...projection, r: 1 };
}

/** Where the repository asks the securityContext rule: reads, reference checks, updates and deletes of a Binary. */
export class SecurityContextGate {
  constructor(private readonly policy: AccessPolicy) {}

  /** Binary answers to its securityContext target for every caller but the unrestricted one. */
  applies(type: string): boolean {
    return type === 'Binary' && !this.policy.unrestricted;
  }

  /** True when `doc` is a Binary the caller may not reach; `targetReachable` asks about the target under its policy. */
  async hides(type: string, doc: { r?: string } | null | undefined, targetReachable: (target: ContextTarget) => Promise<boolean>): Promise<boolean> {
    return !!doc && this.applies(type) && !(await binaryReadable(this.policy, doc.r, targetReachable));
  }
}
