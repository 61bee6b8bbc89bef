import type { Basic } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import { badRequest, forbidden, unprocessable } from '../errors/operation-outcome-error';
import { type Hold, actOf, isHoldResource, newHold, releasedHold } from '../retention/hold';
import { openHoldsNaming, writingHolds } from '../retention/holds-in-force';
import { assertNotDestroying, guardKeys, recordsOf, touchEveryGuard } from '../retention/hold-guard';
import { locationHeader, versionHeaders } from '../router/respond';
import type { RouterContext } from '../router/context';
import type { FhirRequest, FhirResult } from '../router/types';
import type { WriteResult } from '../store/repository';
import { operationInput, singleValue } from './parameters';
import { parameter, type Operation } from './operation';

const MAX_MATTER = 256;
const MAX_REASON = 4096;
/** A user that is a patient or acts for one (SMART fhirUser): holds are records-management business. */
const PATIENT_USER = /(?:^|\/)(?:Patient|RelatedPerson)\/[^/]+$/;

/**
 * Who may place and release legal holds: a caller not bound to a patient (no patient-context token, no user who
 * is a Patient or RelatedPerson), with write access to Basic (create to place, update to release: a hold is a
 * Basic) and to the held type (update: a hold changes what may be done to it), who can read the held resource
 * (404 otherwise, as any hidden resource). Protected mode (no authorization configured) may.
 */
function assertMayManageHolds(ctx: RouterContext, type: string, basic: 'create' | 'update'): void {
  const policy: AccessPolicy = ctx.repo.policy;
  if (policy.patientIds || (policy.user && PATIENT_USER.test(policy.user))) {
    throw forbidden('Legal holds are placed and released by records staff: a token bound to a patient cannot');
  }
  ctx.repo.assertAllowed('Basic', basic);
  ctx.repo.assertAllowed(type, 'update');
}

/** The `matter` and `reason` of a hold request: both required, as text of bounded length. */
function holdInput(req: FhirRequest, code: string): { matter: string; reason: string } {
  const input = operationInput(req, code);
  const unknown = input.find(([k]) => k !== 'matter' && k !== 'reason');
  if (unknown) throw badRequest(`$${code} has no parameter "${unknown[0]}" (matter, reason)`, unknown[0]);
  const text = (name: string, max: number) => {
    const v = singleValue(input, name)?.trim();
    if (!v) throw badRequest(`$${code} needs a "${name}" (a valueString)`, name);
    if (v.length > max) throw badRequest(`$${code}: ${name} is longer than ${max} characters`, name);
    return v;
  };
  return { matter: text('matter', MAX_MATTER), reason: text('reason', MAX_REASON) };
}

/** The held resource as the caller may read it (404, 410 otherwise); the patients whose records it is part of. */
async function heldTarget(ctx: RouterContext, type: string, id: string): Promise<{ subject: string; records: string[] }> {
  const doc = await ctx.repo.read(type, id);
  if (type === 'Basic' && isHoldResource(JSON.parse(doc.r) as Basic)) throw unprocessable(`Basic/${id} is a legal hold: a hold cannot itself be held`);
  const records = type === 'Patient' ? [id] : recordsOf(doc.c);
  return { subject: `${type}/${id}`, records };
}

const readBasic = async (repo: RouterContext['repo'], h: Hold) => JSON.parse((await repo.privileged().read('Basic', h.id)).r) as Basic;

/** One hold request: its parameters, the held subject, and the holds of that matter already open on it. */
interface HoldRequest {
  matter: string;
  reason: string;
  subject: string;
  records: string[];
  open: Hold[];
}

type HoldAction = (ctx: RouterContext, req: FhirRequest, tx: RouterContext['repo'], request: HoldRequest) => Promise<FhirResult>;

/**
 * An operation on holds: the caller checked, the parameters read, the held resource read, and `act` run in a
 * transaction in which legal-hold Basics may be written, with the open holds of the matter on the subject.
 */
function defineHoldOperation(code: 'hold' | 'release-hold', basicGrant: 'create' | 'update', title: string, description: string, act: HoldAction): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: `Resource-${code}`,
      url: `http://fhirstone.org/fhir/OperationDefinition/Resource-${code}`,
      name: code === 'hold' ? 'LegalHold' : 'ReleaseLegalHold',
      title,
      status: 'active',
      kind: 'operation',
      code,
      description,
      resource: ['Resource'],
      system: false,
      type: false,
      instance: true,
      affectsState: true,
      parameter: [
        parameter('in', 'matter', 'string', { min: 1, documentation: `The legal matter (a case number, at most ${MAX_MATTER} characters)` }),
        parameter('in', 'reason', 'string', { min: 1, documentation: `Why (at most ${MAX_REASON} characters)` }),
        parameter('out', 'return', 'Basic', { min: 1, documentation: 'The legal hold' }),
      ],
    },
    handler: async (ctx, req, target) => {
      const [type, id] = [target.type as string, target.id as string];
      assertMayManageHolds(ctx, type, basicGrant);
      const { matter, reason } = holdInput(req, code);
      const { subject, records } = await heldTarget(ctx, type, id);
      return writingHolds(ctx.repo, async (tx) => {
        const open = (await openHoldsNaming(tx.privileged(), [subject])).filter((h) => h.matter === matter && h.subject === subject);
        return act(ctx, req, tx, { matter, reason, subject, records, open });
      });
    },
  };
}

/** What the AuditEvent of a placement or release records beyond who and when: the hold, its matter and why. */
function recordLifecycle(req: FhirRequest, code: 'hold' | 'unhold', holdId: string, matter: string, reason: string): void {
  if (!req.trace) return;
  const display = code === 'hold' ? 'Add Legal Hold Record Lifecycle Event' : 'Remove Legal Hold Record Lifecycle Event';
  req.trace.lifecycle = {
    code,
    display,
    entity: `Basic/${holdId}`,
    detail: [
      { type: 'matter', value: matter },
      { type: 'reason', value: reason },
    ],
  };
}

/**
 * `POST [base]/[type]/[id]/$hold` (`matter`, `reason`): places a legal hold on a whole record (`Patient/[id]`) or on
 * one resource, as a `Basic` (src/retention/hold.ts). While it is open, deleting the record's resources (or the
 * held resource), merging the record away and destroying it are refused with 409 naming the hold; updates go on.
 * 201 with the hold; placing a hold of the same matter on the same subject again answers 200 with the open one.
 */
export const placeHoldOperation = defineHoldOperation(
  'hold',
  'create',
  'Place a legal hold',
  'Places a legal hold (a Basic, code legal-hold) on a patient record (Patient/[id]/$hold) or one resource: while it is open, deletes, ' +
    'merges of the record away and destruction are refused. Needs write access to Basic and the held type; never a patient-bound token.',
  async (ctx, req, tx, { matter, reason, subject, records, open }) => {
    if (open.length) return { status: 200, body: await readBasic(tx, open[0]) };
    // Meets any delete, merge or destruction of the record running now, and tells later deletes to look for holds
    // (src/retention/hold-guard.ts). Never cleared: a resource held may have moved to another record meanwhile.
    const keys = guardKeys(subject, records);
    await touchEveryGuard(tx, keys, { held: true });
    await assertNotDestroying(tx, keys);
    const { resource, doc } = await tx.create('Basic', newHold(subject, records, matter, reason, actOf(ctx.repo.policy, new Date())));
    recordLifecycle(req, 'hold', doc._id, matter, reason);
    return { status: 201, headers: { ...versionHeaders(doc), Location: locationHeader(ctx.baseUrl, 'Basic', doc, doc._id) }, body: resource };
  },
);

/**
 * `POST [base]/[type]/[id]/$release-hold` (`matter`, `reason`): releases the open hold of that matter on the record
 * or resource (its status released; who, when and why recorded in the same Basic, whose history keeps both
 * versions). 200 with the released hold; 422 when no hold of that matter is open on it.
 */
export const releaseHoldOperation = defineHoldOperation(
  'release-hold',
  'update',
  'Release a legal hold',
  'Releases the open legal hold of the given matter on a patient record or resource, recording who released it, when and why. ' +
    'Needs update access to Basic and write access to the held type; never a patient-bound token.',
  async (ctx, req, tx, { matter, reason, subject, open }) => {
    if (open.length === 0) throw unprocessable(`No legal hold of matter ${JSON.stringify(matter)} is open on ${subject}`, 'matter');
    const act = actOf(ctx.repo.policy, new Date(), reason);
    let last: WriteResult | undefined;
    for (const h of open) {
      const basic = await readBasic(tx, h);
      last = await tx.update('Basic', h.id, releasedHold(basic, act), { ifMatch: Number(basic.meta?.versionId) });
    }
    recordLifecycle(req, 'unhold', open[open.length - 1].id, matter, reason);
    return { status: 200, headers: versionHeaders(last!.doc), body: last!.resource };
  },
);
