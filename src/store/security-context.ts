import type { FindOptions } from 'mongodb';
import type { AccessPolicy } from '../auth/access-policy';
import { isJsonObject } from '../fhir/json';
import { patientAccessOf } from '../fhir/patient-access';
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
function securityContextOf(text: string | undefined): ContextTarget | null | undefined {
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

/** An inclusion projection gains the resource text, which the securityContext is read from. */
export function withResourceText(projection: FindOptions['projection']): FindOptions['projection'] {
  if (!projection || !Object.values(projection).some((v) => v === 1 || v === true)) return projection;
  return { ...projection, r: 1 };
}

/**
 * Where the repository asks the securityContext rule: reads, reference checks, updates and deletes of a Binary.
 * `targetReachable` asks the repository, under the same policy, whether the caller may reach the target.
 */
export class SecurityContextGate {
  constructor(private readonly policy: AccessPolicy) {}

  /** A type whose rule is the securityContext one (Binary) answers to its target for all but unrestricted callers. */
  applies(type: string): boolean {
    return !this.policy.unrestricted && patientAccessOf(type).kind === 'security-context';
  }

  /** True when `doc` is a Binary the caller may not reach. */
  async hides(type: string, doc: { r?: string } | null | undefined, targetReachable: TargetCheck): Promise<boolean> {
    return !!doc && this.applies(type) && !(await this.readable(doc.r, targetReachable));
  }

  /** `docs` (Binaries) without those the caller may not reach. */
  async *filter<T extends { r?: string }>(docs: AsyncIterable<T>, targetReachable: TargetCheck): AsyncIterable<T> {
    for await (const doc of docs) {
      if (await this.readable(doc.r, targetReachable)) yield doc;
    }
  }

  /**
   * May the caller read the Binary stored as `text`? Exactly when the securityContext target is reachable; without
   * a securityContext, or with one the server cannot check, only when the caller is not bound to a patient.
   */
  private async readable(text: string | undefined, targetReachable: TargetCheck): Promise<boolean> {
    const target = securityContextOf(text);
    if (!target) return !this.policy.patientIds;
    return targetReachable(target);
  }
}

type TargetCheck = (target: ContextTarget) => Promise<boolean>;
