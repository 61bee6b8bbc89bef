import type { Coding } from 'fhir/r4';
import { badRequest, notFound } from '../errors/operation-outcome-error';
import { ICD10CM_SYSTEM } from './icd10cm';

/**
 * The codings of a `$lookup`/`$validate-code` request this server can answer for: ICD-10-CM's. A coding without a
 * system is 400; when none is of a served system, 404 naming the system (a CodeableConcept's codings of other
 * systems are left aside while one is ICD-10-CM).
 */
export function icd10cmCodings(codings: Coding[], op: string): Array<Coding & { code: string }> {
  const without = codings.find((c) => !c.system);
  if (without) throw badRequest(`$${op}: the coding '${without.code}' has no system`);
  const served = codings.filter((c): c is Coding & { code: string } => c.system === ICD10CM_SYSTEM);
  if (served.length === 0) {
    const systems = [...new Set(codings.map((c) => c.system))].join(', ');
    throw notFound(`CodeSystem ${systems} is not known to CodeSystem/$${op} on this server: it answers for ${ICD10CM_SYSTEM} (ICD-10-CM)`);
  }
  return served;
}
