import { createHash } from 'node:crypto';
import type { DocumentReference, Reference } from 'fhir/r4';
import type { AccessPolicy } from '../auth/access-policy';
import type { Repository } from '../store/repository';
import type { Accounting } from './accounting';
import { ACCOUNTING_TYPE } from './document';

const USER_REF = /^(?:Patient|RelatedPerson|Practitioner|PractitionerRole|Person)\/[^/]+$/;

/** Who asked, as a DocumentReference author. */
function requester(policy: AccessPolicy): Reference {
  if (policy.user && USER_REF.test(policy.user)) return { reference: policy.user };
  const who = policy.user ?? (policy.clientId ? `client ${policy.clientId}` : policy.unrestricted ? 'a local client (protected mode)' : 'unknown');
  return { display: who };
}

/**
 * Keeps an accounting as it was provided (164.528(d)): a DocumentReference in the patient's record, of type
 * `accounting`, naming who asked (author; the client in its description), when (date), the period (context.period)
 * and what was delivered (the exact bytes, as the attachment, with their size and SHA-1). Written with the server's
 * own rights whatever the caller's; found again with
 * `DocumentReference?patient=<id>&type=http://fhirstone.org/fhir/CodeSystem/disclosure-accounting|accounting`.
 * Resolves with its id.
 */
export async function logAccounting(bookkeeping: Repository, a: Accounting, delivered: { contentType: string; text: string }, caller: AccessPolicy): Promise<string> {
  const bytes = Buffer.from(delivered.text, 'utf8');
  const period = { start: a.period.start.toISOString(), end: a.period.end.toISOString() };
  const client = caller.clientId ? ` through client ${caller.clientId}` : '';
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [ACCOUNTING_TYPE] },
    subject: { reference: `Patient/${a.patient}` },
    date: a.generated.toISOString(),
    author: [requester(caller)],
    description: `Accounting of disclosures from ${period.start} to ${period.end}, ${a.disclosures.length} disclosure(s), provided${client} as ${delivered.contentType}`,
    content: [
      {
        attachment: {
          contentType: delivered.contentType,
          data: bytes.toString('base64'),
          size: bytes.length,
          hash: createHash('sha1').update(bytes).digest('base64'),
          title: 'Accounting of disclosures',
          creation: a.generated.toISOString(),
        },
      },
    ],
    context: { period },
  };
  const { doc: stored } = await bookkeeping.create('DocumentReference', doc);
  return stored._id;
}
