import type { AccessPolicy } from '../auth/access-policy';
import { grantCovers, parseScopes } from '../auth/scopes';
import { badRequest, forbidden } from '../errors/operation-outcome-error';
import { belongsToPatients, patientAccessOf } from '../fhir/patient-access';
import type { ExportPlan } from './export-job';
import type { ExportLevel } from './parameters';

export interface TypeSelection {
  types: string[];
  /** Per type, the SMART v2 granular restrictions (search queries, OR-ed) the export must apply. */
  restrictions: Record<string, string[]>;
  warnings: string[];
}

/** System-level export reads everything of a type: it needs a `system/` grant with read for that type. */
function hasSystemRead(policy: AccessPolicy, type: string): boolean {
  if (policy.unrestricted) return true;
  return parseScopes(policy.scopes).grants.some((g) => g.context === 'system' && grantCovers(g, type, 'r'));
}

/** May `policy` export (and so download) `type` at `level`: read on it, through a `system/` grant at system level. */
function mayExportRead(policy: AccessPolicy, level: ExportLevel, type: string): boolean {
  return policy.allows(type, 'read') && (level !== 'system' || hasSystemRead(policy, type));
}

/**
 * Types an export holds only when `_type` names them: the audit trail, which grows with every request (this export's
 * own kick-off and polls among them), is not the data an export without `_type` is asked for, as a system-level
 * search without `_type` leaves it out too.
 */
const ONLY_BY_NAME: ReadonlySet<string> = new Set(['AuditEvent']);

/** Why a type that belongs to no patient (src/fhir/patient-access.ts) is not in a Patient- or Group-level export. */
const NOT_PATIENT_DATA: Record<'shared' | 'security-context' | 'hidden', string> = {
  shared: "is shared by all patients (a directory, definition or product), not one patient's data",
  'security-context': 'is tied to a patient only through its securityContext, which an export does not follow',
  hidden: "can hold several patients' data with nothing binding it to one patient",
};

function leftOutOfPatientExport(type: string, level: ExportLevel): string {
  const kind = patientAccessOf(type).kind;
  const why = kind === 'compartment' || kind === 'linked' ? 'belongs to patients' : NOT_PATIENT_DATA[kind];
  return `${type} is left out: it is outside the Patient compartment and ${why}, so a ${level}-level export has none of it`;
}

/**
 * The types an export will contain, checked against the caller's policy.
 *
 * - System level: refused to a token bound to a patient compartment; every explicitly requested type needs a
 *   `system/` read grant (403 otherwise); without `_type`, the types it has no grant for are left out.
 * - Patient and Group level: the types that belong to patients (the Patient compartment's, and those linked to a
 *   patient such as Device: patient-access.ts); each needs read permission; the compartment bound of the token is
 *   applied to the data by the repository. A requested type that belongs to no patient is left out with a warning
 *   (the IG lets the server return what it can), and only a request of nothing but such types is 400.
 * - Without `_type`, every type the caller may export but AuditEvent (ONLY_BY_NAME).
 * - A type the server does not serve is 400 (or left out with a warning under `Prefer: handling=lenient`).
 */
export function selectTypes(
  policy: AccessPolicy,
  level: ExportLevel,
  requested: string[] | undefined,
  served: { isServed(type: string): boolean; all(): string[] },
  lenient: boolean,
): TypeSelection {
  if (level === 'system' && policy.patientIds) {
    throw forbidden('A token bound to a patient cannot export the whole system; use Patient/$export');
  }
  const warnings: string[] = [];
  const reject = (message: string) => {
    if (!lenient) throw badRequest(message, '_type');
    warnings.push(message);
  };
  const inScope = (type: string) => level === 'system' || belongsToPatients(type);
  const permitted = (type: string) => mayExportRead(policy, level, type);

  let types: string[];
  if (requested) {
    types = [];
    for (const type of requested) {
      if (!served.isServed(type)) reject(`${type} is not a resource type this server exports`);
      else if (!inScope(type)) warnings.push(leftOutOfPatientExport(type, level));
      else if (!permitted(type)) throw forbidden(`The access token does not allow ${level}-level export of ${type}`);
      else types.push(type);
    }
    if (types.length === 0) throw badRequest(['None of the requested _type values can be exported', ...warnings].join('. '), '_type');
  } else {
    const candidates = served.all().filter((type) => inScope(type) && !ONLY_BY_NAME.has(type));
    types = candidates.filter(permitted).sort();
    if (types.length === 0 && candidates.length > 0) throw forbidden(`The access token allows ${level}-level export of no resource type`);
  }

  const restrictions: Record<string, string[]> = {};
  for (const type of types) {
    const r = policy.searchRestrictions(type, 'read');
    if (r) restrictions[type] = [...r];
  }
  return { types, restrictions, warnings };
}

/**
 * May `policy` download what `plan` exported of `type`? The file holds what the kick-off token could read, so the
 * downloading token must be granted at least as much: read on the type (a `system/` grant for a system-level
 * export), and, when its read of the type is narrowed by SMART v2 granular scopes, the export must have been narrowed
 * by the same queries or fewer (each query the export applied is one the token has).
 */
export function mayDownload(policy: AccessPolicy, plan: ExportPlan, type: string): boolean {
  if (policy.unrestricted) return true;
  if (!mayExportRead(policy, plan.level, type)) return false;
  const own = policy.searchRestrictions(type, 'read');
  if (!own) return true;
  const applied = plan.restrictions[type] ?? [];
  return applied.length > 0 && applied.every((query) => own.includes(query));
}
