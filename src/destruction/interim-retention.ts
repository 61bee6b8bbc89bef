import type { Basic, Encounter } from 'fhir/r4';
import type { Repository } from '../store/repository';
import { basicMembership } from './record-membership';
import type { HoldInForce, RecordRetention, RetentionSource } from './retention-source';

/**
 * Until the retention rules (src/retention/) are wired in: one rule, ten years after the end of the patient's last
 * encounter, and the legal holds stored as Basic resources (code `legal-hold` of the record-management code
 * system, subject the patient, no `legal-hold-released` extension).
 */
const RECORD_MANAGEMENT = 'http://fhirstone.org/fhir/CodeSystem/record-management';
const RELEASED = 'http://fhirstone.org/fhir/StructureDefinition/legal-hold-released';
const YEARS = 10;

async function all<T>(repo: Repository, type: string, patientId: string): Promise<T[]> {
  const out: T[] = [];
  for await (const doc of repo.find(type, { c: `Patient/${patientId}` }, { access: 'read' })) out.push(JSON.parse(doc.r) as T);
  return out;
}

export const interimRetention: RetentionSource = {
  membership: basicMembership,
  async retentionOf(repo, patientId, at): Promise<RecordRetention> {
    const ends = (await all<Encounter>(repo, 'Encounter', patientId)).map((e) => e.period?.end ?? e.period?.start).filter((d): d is string => !!d);
    const holds: HoldInForce[] = (await all<Basic>(repo, 'Basic', patientId))
      .filter((b) => (b.code.coding ?? []).some((c) => c.system === RECORD_MANAGEMENT && c.code === 'legal-hold'))
      .filter((b) => !(b.extension ?? []).some((e) => e.url === RELEASED))
      .map((b) => ({ hold: `Basic/${b.id}` }));
    const rule = 'interim-10y-after-last-encounter';
    if (ends.length === 0) return { rule, eligible: false, holds };
    const triggerDate = ends
      .map((d) => d.slice(0, 10))
      .sort()
      .pop()!;
    const destroyAfter = `${Number(triggerDate.slice(0, 4)) + YEARS}${triggerDate.slice(4)}`;
    return { rule, triggerDate, destroyAfter, eligible: destroyAfter <= at.toISOString().slice(0, 10), holds };
  },
};
