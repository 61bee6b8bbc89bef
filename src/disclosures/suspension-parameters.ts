import { randomUUID } from 'node:crypto';
import type { Parameters, ParametersParameter } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import { badRequest } from '../errors/operation-outcome-error';
import { dateValue, singleValue } from '../operations/parameters';
import { type Suspension, effectiveEnd, inForce } from './suspensions';

/** A suspension from `$suspend-accounting`'s input (agency, end, statement, reason, start), placed by `caller` at `now`. */
export function suspensionOf(input: ReadonlyArray<[string, string]>, patient: string, caller: AccessPolicy, now: Date): Suspension {
  const agency = singleValue(input, 'agency')?.trim();
  if (!agency) throw badRequest('agency names the health oversight agency or law enforcement official whose disclosures are suspended', 'agency');
  const end = dateValue(input, 'end')?.hi;
  if (!end) throw badRequest('end is the date the agency or official named for the suspension to end', 'end');
  const start = dateValue(input, 'start')?.lo ?? now;
  if (end <= start) throw badRequest('end must be after start', 'end');
  const statement = singleValue(input, 'statement') ?? 'written';
  if (statement !== 'written' && statement !== 'oral') throw badRequest('statement is written or oral', 'statement');
  const reason = singleValue(input, 'reason')?.trim();
  return {
    _id: randomUUID(),
    patient,
    agency,
    start,
    end,
    statement,
    ...(reason ? { reason } : {}),
    placedAt: now,
    placedBy: { ...(caller.clientId ? { client: caller.clientId } : {}), ...(caller.user ? { user: caller.user } : {}) },
  };
}

/** One suspension as a parameter's parts. */
export function suspensionParameter(s: Suspension, now: Date): ParametersParameter {
  const text = (name: string, value: string | undefined): ParametersParameter[] => (value === undefined ? [] : [{ name, valueString: value }]);
  return {
    name: 'suspension',
    part: [
      { name: 'id', valueString: s._id },
      { name: 'agency', valueString: s.agency },
      { name: 'start', valueDateTime: s.start.toISOString() },
      { name: 'end', valueDateTime: s.end.toISOString() },
      { name: 'effectiveEnd', valueDateTime: effectiveEnd(s).toISOString() },
      { name: 'statement', valueCode: s.statement },
      { name: 'inForce', valueBoolean: inForce(s, now) },
      ...text('reason', s.reason),
      { name: 'placed', valueDateTime: s.placedAt.toISOString() },
      ...text('placedByClient', s.placedBy.client),
      ...text('placedByUser', s.placedBy.user),
    ],
  };
}

export const suspensionsParameters = (list: readonly Suspension[], now: Date): Parameters => ({
  resourceType: 'Parameters',
  parameter: list.map((s) => suspensionParameter(s, now)),
});
