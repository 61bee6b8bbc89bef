import type { HumanName, Patient } from 'fhir/r4';
import type { RouterContext } from '../router/context';

/** "Alpha Adams": the patient's official (else first) name as text, or undefined. */
function nameText(names: readonly HumanName[] | undefined): string | undefined {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  return n && (n.text ?? ([...(n.given ?? []), n.family].filter(Boolean).join(' ') || undefined));
}

/** The patient's name for a printable report, when the caller may read the Patient (an auditor reading only AuditEvents gets the id alone). */
export async function patientName(ctx: RouterContext, id: string): Promise<string | undefined> {
  if (!ctx.repo.policy.allows('Patient', 'read')) return undefined;
  try {
    return nameText((JSON.parse((await ctx.repo.read('Patient', id)).r) as Patient).name);
  } catch {
    return undefined;
  }
}
