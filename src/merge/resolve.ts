import type { Identifier, Patient } from 'fhir/r4';
import { badRequest, isOperationOutcomeError, unprocessable } from '../errors/operation-outcome-error';
import type { RouterContext } from '../router/context';
import { escapeValue } from '../search/escape';
import type { StoredDocument } from '../store/stored-document';
import type { PatientSelector } from './parameters';

/** One of the two patients of a merge, as stored. */
export interface ResolvedPatient {
  id: string;
  doc: StoredDocument;
  patient: Patient;
}

const PATIENT_REFERENCE = /^Patient\/([A-Za-z0-9.-]{1,64})(?:\/_history\/[A-Za-z0-9.-]{1,64})?$/;

/** The id a `<role>-patient` reference names (relative, or absolute to this server); 400 for anything else. */
function referencedId(reference: string, baseUrl: string, role: string): string {
  const relative = reference.startsWith(`${baseUrl}/`) ? reference.slice(baseUrl.length + 1) : reference;
  const m = PATIENT_REFERENCE.exec(relative);
  if (!m) throw badRequest(`${role}-patient must reference a Patient of this server (Patient/<id>), not "${reference}"`);
  return m[1];
}

const tokenOf = (i: Identifier) => (i.system ? `${escapeValue(i.system)}|${escapeValue(i.value as string)}` : escapeValue(i.value as string));
const identifierText = (ids: Identifier[]) => ids.map((i) => (i.system ? `${i.system}|${i.value}` : i.value)).join(', ');
const hasIdentifier = (p: Patient, i: Identifier) => (p.identifier ?? []).some((own) => own.value === i.value && (!i.system || own.system === i.system));

/**
 * The Patient a selector names, read through the caller's repository: one the caller may not read answers 404 like
 * one that does not exist; a deleted one, identifiers matching no Patient or several, or a reference whose Patient
 * lacks one of the identifiers given are refused (422, R5: they must resolve to a single patient).
 */
export async function resolvePatient(ctx: RouterContext, sel: PatientSelector): Promise<ResolvedPatient> {
  let id: string;
  if (sel.reference) id = referencedId(sel.reference, ctx.baseUrl, sel.role);
  else {
    const query = sel.identifiers.map((i): [string, string] => ['identifier', tokenOf(i)]);
    const ids = await ctx.search.findMatchingIds(ctx.repo, 'Patient', query, 2);
    if (ids.length !== 1) {
      throw unprocessable(
        `${sel.role}-patient-identifier (${identifierText(sel.identifiers)}) matches ${ids.length ? 'several Patients' : 'no Patient'}: it must match exactly one`,
      );
    }
    id = ids[0];
  }
  const doc = await readPatient(ctx, id, sel.role);
  const patient = JSON.parse(doc.r) as Patient;
  const missing = sel.identifiers.filter((i) => !hasIdentifier(patient, i));
  if (missing.length) throw unprocessable(`Patient/${id} (${sel.role}-patient) does not have the identifier ${identifierText(missing)} given with it`);
  return { id, doc, patient };
}

async function readPatient(ctx: RouterContext, id: string, role: string): Promise<StoredDocument> {
  try {
    return await ctx.repo.read('Patient', id);
  } catch (err) {
    if (isOperationOutcomeError(err) && err.category === 'gone') throw unprocessable(`Patient/${id} (${role}-patient) was deleted: a deleted Patient cannot be merged`);
    throw err;
  }
}
