import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { Basic, ElementDefinition, Resource, StructureDefinition } from 'fhir/r4';
import { r4Resources } from '../fhir/r4-definitions';
import { isStorableType } from '../fhir/resource-types';
import { referencedPatientIds } from '../search/patient-references';
import { normalizeReference } from '../search/types/reference';
import type { MembershipSpec, RemoveSpec } from './policy-file';
import { holdOf, isHoldResource } from './hold';

/**
 * Which resources make up a patient's record, as the policy's `membership` says. The record is destroyed as a
 * whole: every resource that belongs to it goes, a resource shared with other people stays and loses only the
 * patient's references, and the kept types (the audit trail) are never touched.
 */
export interface TypeMembership {
  type: string;
  /** Reference elements (Type.a.b) whose naming the patient makes a resource of this type part of the record. */
  belongsVia: readonly string[];
  /** always: never destroyed with a record; other-patients: not when it also names another Patient. */
  sharedWhen?: 'always' | 'other-patients';
  /** What destruction removes from a shared resource of this type (empty: each Reference naming the patient). */
  remove: readonly RemoveSpec[];
  /** A kept type: never destroyed, never changed by destruction. */
  kept: boolean;
}

/**
 * What a resource is to a patient's record: `member` (destroyed with it), `shared` (kept, the patient's
 * references removed), `kept` (a type destruction never touches) or `none` (it does not name the patient).
 */
export type RecordRole = 'member' | 'shared' | 'kept' | 'none';

/** Per R4 resource type, element path -> its type codes: read on first use of the type, shared. */
const elementTypesByType = new Map<string, ReadonlyMap<string, string[]>>();

function elementTypes(type: string): ReadonlyMap<string, string[]> {
  let map = elementTypesByType.get(type);
  if (!map) {
    const out = new Map<string, string[]>();
    for (const sd of r4Resources('profiles-resources.json') as Iterable<StructureDefinition | undefined>) {
      if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || sd.type !== type || !sd.snapshot) continue;
      for (const el of sd.snapshot.element as ElementDefinition[])
        out.set(
          el.path,
          (el.type ?? []).map((t) => t.code),
        );
      break;
    }
    elementTypesByType.set(type, (map = out));
  }
  return map;
}

const typeOf = (path: string) => path.slice(0, path.indexOf('.'));
const isElement = (path: string) => elementTypes(typeOf(path)).has(path);
const isReferenceElement = (path: string) => elementTypes(typeOf(path)).get(path)?.includes('Reference') ?? false;

type RefsAt = (resource: Resource) => string[];

/** The reference strings at a Reference element path, evaluated by fhirpath.js. */
function refsAt(path: string): RefsAt {
  const fn = fhirpath.compile(`${path}.reference`, r4Model);
  return (resource) => (fn(resource as object) as unknown[]).filter((v): v is string => typeof v === 'string');
}

export class Membership {
  private readonly byType = new Map<string, TypeMembership>();
  private readonly paths = new Map<string, RefsAt>();

  /** Compiles and checks the policy's membership section; a mistake throws, naming the type and the element. */
  constructor(
    private readonly spec: MembershipSpec,
    where: string,
  ) {
    for (const type of spec.kept ?? []) if (!isStorableType(type)) throw new Error(`${where}: membership.kept names ${type}, which is not a resource type`);
    for (const [type, t] of Object.entries(spec.types)) {
      if (!isStorableType(type)) throw new Error(`${where}: membership.types names ${type}, which is not a resource type`);
      const check = (path: string, field: string) => {
        if (!path.startsWith(`${type}.`)) throw new Error(`${where}: membership.types.${type}.${field}: ${path} is not an element of ${type}`);
        if (!isReferenceElement(path)) throw new Error(`${where}: membership.types.${type}.${field}: ${path} is not a Reference element of ${type}`);
      };
      for (const p of t.belongsVia) check(p, 'belongsVia');
      for (const r of t.remove ?? []) {
        if (r.when === undefined) check(r.element, 'remove');
        else if (!isElement(r.element)) throw new Error(`${where}: membership.types.${type}.remove: ${r.element} is not an element of ${type}`);
        else check(`${r.element}.${r.when}`, 'remove.when');
      }
    }
  }

  /** How resources of `type` belong to a record (from the policy, or the default subject/patient elements). */
  of(type: string): TypeMembership {
    let m = this.byType.get(type);
    if (!m) {
      const listed = this.spec.types[type];
      const belongsVia = listed ? listed.belongsVia : this.spec.defaultBelongsVia.map((n) => `${type}.${n}`).filter(isReferenceElement);
      m = { type, belongsVia, sharedWhen: listed?.sharedWhen, remove: listed?.remove ?? [], kept: (this.spec.kept ?? []).includes(type) };
      this.byType.set(type, m);
    }
    return m;
  }

  private refs(path: string, resource: Resource, baseUrl: string | undefined): string[] {
    let fn = this.paths.get(path);
    if (!fn) this.paths.set(path, (fn = refsAt(path)));
    return fn(resource).map((r) => normalizeReference(r, baseUrl) ?? r);
  }

  /**
   * What `resource` is to the record of `Patient/patientId`. A resource that does not belong but names the patient
   * elsewhere (in any element) is `shared`: a caller finding it through the patient's compartment or its
   * `_patient-ref` entries removes the references. `baseUrl` turns absolute references to this server relative.
   */
  roleOf(resource: Resource, patientId: string, baseUrl?: string): RecordRole {
    const m = this.of(resource.resourceType);
    if (m.kept) return 'kept';
    const patient = `Patient/${patientId}`;
    if (resource.resourceType === 'Patient' && resource.id === patientId) return 'member';
    // A legal hold belongs to every record it held, also a hold on one resource (whose subject is not the patient):
    // its matter and reason are the patient's legal business. Only a released one is ever destroyed (one in force
    // stops the destruction); the AuditEvents of its placing and release stay, their matter and reason sealed.
    if (isHoldResource(resource) && holdOf(resource as Basic).records.includes(patientId)) return 'member';
    const named = m.belongsVia.flatMap((p) => this.refs(p, resource, baseUrl));
    if (named.includes(patient)) {
      if (m.sharedWhen === 'always') return 'shared';
      if (m.sharedWhen === 'other-patients') {
        const members = [...named, ...m.remove.flatMap((r) => this.refs(r.when ? `${r.element}.${r.when}` : r.element, resource, baseUrl))];
        if (members.some((r) => r.startsWith('Patient/') && r !== patient)) return 'shared';
      }
      return 'member';
    }
    return referencedPatientIds(resource, baseUrl).includes(patientId) ? 'shared' : 'none';
  }
}
