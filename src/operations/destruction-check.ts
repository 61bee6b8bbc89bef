import type { Binary, DocumentReference, Parameters } from 'fhir/r4';
import { CERTIFICATE } from '../destruction/certificate';
import { identityHasher } from '../destruction/identity-hash';
import { badRequest } from '../errors/operation-outcome-error';
import type { Repository } from '../store/repository';
import { parameter, type Operation } from './operation';
import { operationInput, singleValue } from './parameters';

const IDENTITY = /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9.-]{1,64}(\/_history\/[A-Za-z0-9.-]{1,64})?$/;

interface CertificateJson {
  identityHash: { salt: string };
  records: Array<{ record: string }>;
  identities: string[];
}

/** The JSON attachments of a certificate, parts included, as stored Binaries. */
async function certificateParts(repo: Repository, reference: DocumentReference): Promise<Array<Partial<CertificateJson>>> {
  const out: Array<Partial<CertificateJson>> = [];
  for (const { attachment } of reference.content) {
    if (attachment.contentType !== 'application/json' || !attachment.url?.startsWith('Binary/')) continue;
    const binary = JSON.parse((await repo.read('Binary', attachment.url.slice(7))).r) as Binary;
    out.push(JSON.parse(Buffer.from(binary.data ?? '', 'base64').toString('utf8')) as Partial<CertificateJson>);
  }
  return out;
}

/**
 * `[base]/$destruction-check?identity=Patient/123`: was this record, resource or version destroyed, and under which
 * certificates? Each certificate keeps only salted hashes; the identity is hashed with each certificate's salt and
 * looked up, so the answer needs the identity the caller already holds. Needs read on DocumentReference and Binary.
 */
export function destructionCheck(): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'destruction-check',
      url: 'urn:fhirstone:OperationDefinition/destruction-check',
      name: 'DestructionCheck',
      title: 'Was this record or resource destroyed?',
      status: 'active',
      kind: 'operation',
      code: 'destruction-check',
      description:
        'Hashes `identity` (Patient/<id> for a record, <Type>/<id> for a resource, <Type>/<id>/_history/<n> for a version) with ' +
        'the salt of each certificate of destruction and looks it up among the hashes the certificate lists.',
      system: true,
      type: false,
      instance: false,
      affectsState: false,
      parameter: [
        parameter('in', 'identity', 'string', { min: 1, documentation: 'Patient/<id>, <Type>/<id> or <Type>/<id>/_history/<n>' }),
        parameter('out', 'destroyed', 'boolean', { min: 1 }),
        parameter('out', 'certificate', 'Reference', { max: '*', documentation: 'The certificates that list it' }),
      ],
    },
    handler: async (ctx, req) => {
      const identity = singleValue(operationInput(req, 'destruction-check'), 'identity');
      if (!identity || !IDENTITY.test(identity)) throw badRequest('identity is required: Patient/<id>, <Type>/<id> or <Type>/<id>/_history/<n>', 'identity');
      ctx.repo.assertAllowed('DocumentReference', 'search');
      ctx.repo.assertAllowed('Binary', 'read');
      const found: string[] = [];
      const tagged = { 's.e': { $elemMatch: { p: '_tag', v: CERTIFICATE.code, sy: CERTIFICATE.system } } };
      for await (const doc of ctx.repo.find('DocumentReference', tagged)) {
        const reference = JSON.parse(doc.r) as DocumentReference;
        const parts = await certificateParts(ctx.repo, reference);
        const salt = parts.find((p) => p.identityHash)?.identityHash?.salt;
        if (!salt) continue;
        const hash = identityHasher(salt)(identity);
        if (parts.some((p) => p.records?.some((r) => r.record === hash) || p.identities?.includes(hash))) found.push(`DocumentReference/${reference.id}`);
      }
      const body: Parameters = {
        resourceType: 'Parameters',
        parameter: [{ name: 'destroyed', valueBoolean: found.length > 0 }, ...found.map((reference) => ({ name: 'certificate', valueReference: { reference } }))],
      };
      return { status: 200, body };
    },
  };
}
