import { createHash } from 'node:crypto';
import type { Attachment, Binary, Coding, DocumentReference } from 'fhir/r4';
import type { Repository } from '../store/repository';
import type { TypeTotals } from './destroy-batch';
import type { DestructionParams } from './destroy-kind';
import type { DestroyedRecord } from './ledger';

/** The tag and type of a certificate of destruction and of its attachments (kept forever, certificate-guard.ts). */
export const CERTIFICATE: Coding = {
  system: 'http://fhirstone.org/fhir/CodeSystem/record-management',
  code: 'destruction-certificate',
  display: 'Certificate of destruction',
};

export const METHOD =
  'Logical destruction: every version of each resource of the record removed from the store (current, history and search index ' +
  'entries in the same documents), attachments (Binary by securityContext) and Provenance of them removed, shared resources ' +
  'rewritten without the patient in every version, export jobs that may hold the record cancelled with their files, the ' +
  "record's audit-text key destroyed (crypto-shredding), then compaction of the store's files requested (embedded engine: new " +
  'snapshot and journal, old files deleted; MongoDB: compact of each collection on the member the server is connected to, ' +
  'which a replica set primary refuses unless forced: its members are compacted by their operator). Backups and replicas ' +
  'taken before keep their own copies until their own expiry.';

export interface CertificateInput {
  id: string;
  job: string;
  params: DestructionParams;
  startedAt: string;
  completedAt: string;
  records: DestroyedRecord[];
  identities: string[];
  totals: Array<Record<string, TypeTotals>>;
  dropped: number;
}

/** Identities per JSON part beyond the first (a Binary is one stored document: MongoDB's 16 MB). */
const IDENTITIES_PER_PART = 200_000;

function sum(all: Array<Record<string, TypeTotals>>): Record<string, TypeTotals> {
  const out: Record<string, TypeTotals> = {};
  for (const totals of all) {
    for (const [type, t] of Object.entries(totals)) {
      const o = (out[type] ??= { resources: 0, versions: 0, rewritten: 0, versionsRewritten: 0 });
      o.resources += t.resources;
      o.versions += t.versions;
      o.rewritten += t.rewritten;
      o.versionsRewritten += t.versionsRewritten;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The certificate's JSON: everything the PDF says, and the salted hash of every identity destroyed. */
export function certificateJson(input: CertificateInput, identities: string[]) {
  const p = input.params;
  return {
    certificate: `DocumentReference/${input.id}`,
    job: input.job,
    method: METHOD,
    review: { url: p.reviewUrl, date: p.reviewDate, requestedAt: p.reviewedAt, requester: p.requester },
    approval: { approver: p.approver, at: p.approvedAt },
    startedAt: input.startedAt,
    completedAt: input.completedAt,
    identityHash: {
      algorithm: 'HMAC-SHA-256 keyed with the salt (base64url), first 128 bits, base64url',
      of: 'Patient/<id> for each record; <Type>/<id> for each resource removed; <Type>/<id>/_history/<n> for each single past version removed',
      salt: p.salt,
    },
    records: input.records,
    totals: sum(input.totals),
    droppedOut: input.dropped,
    identities,
  };
}

async function pdfOf(json: ReturnType<typeof certificateJson>, jsonHash: string): Promise<Buffer> {
  // Loaded on first use: pdfkit and its fonts cost about 0.4 s of CPU at every server start otherwise.
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: 'Certificate of destruction', Author: 'fhirstone', CreationDate: new Date(json.completedAt) } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.fontSize(18).text('Certificate of destruction', { align: 'center' }).moveDown();
  const line = (label: string, value: string) => doc.fontSize(10).font('Helvetica-Bold').text(`${label}: `, { continued: true }).font('Helvetica').text(value);
  line('Certificate', json.certificate);
  line('Records destroyed', String(json.records.length));
  line('Records that dropped out (hold, change, no longer eligible)', String(json.droppedOut));
  line('Review', `${json.review.url} (records eligible on ${json.review.date}, requested ${json.review.requestedAt} by ${json.review.requester})`);
  line('Approved', `${json.approval.at} by ${json.approval.approver}`);
  line('Carried out', `${json.startedAt} to ${json.completedAt}`);
  doc.moveDown().font('Helvetica-Bold').text('Method').font('Helvetica').text(json.method).moveDown();
  const rules = new Map<string, number>();
  for (const r of json.records) rules.set(r.rule, (rules.get(r.rule) ?? 0) + 1);
  doc.font('Helvetica-Bold').text('Records per retention rule').font('Helvetica');
  for (const [rule, n] of rules) doc.text(`${rule}: ${n}`);
  doc.moveDown().font('Helvetica-Bold').text('Per type: resources removed / versions removed / shared resources rewritten / versions rewritten').font('Helvetica');
  for (const [type, t] of Object.entries(json.totals)) doc.text(`${type}: ${t.resources} / ${t.versions} / ${t.rewritten} / ${t.versionsRewritten}`);
  doc
    .moveDown()
    .font('Helvetica-Bold')
    .text('What was destroyed')
    .font('Helvetica')
    .text(
      `The JSON attachment (SHA-256 ${jsonHash}) lists each record's rule, trigger date and counts, and the salted hash of every ` +
        `identity destroyed (${json.identityHash.algorithm}; salt ${json.identityHash.salt}). It names no patient: whether a ` +
        'given record or resource was destroyed is answered by hashing its identity with the salt ($destruction-check).',
    );
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}

const binary = (id: string, certificate: string, contentType: string, data: Buffer): Binary => ({
  resourceType: 'Binary',
  id,
  meta: { tag: [CERTIFICATE] },
  contentType,
  securityContext: { reference: `DocumentReference/${certificate}` },
  data: data.toString('base64'),
});

const attachment = (id: string, contentType: string, data: Buffer, title: string): Attachment => ({
  contentType,
  url: `Binary/${id}`,
  size: data.length,
  hash: createHash('sha1').update(data).digest('base64'),
  title,
});

/**
 * Stores the certificate: a DocumentReference (no subject: it names no patient) with the PDF and the JSON as
 * Binaries, all in one transaction, once (a resumed job finds it stored).
 */
export async function storeCertificate(repo: Repository, input: CertificateInput): Promise<void> {
  const parts: string[][] = [];
  for (let i = 0; i < input.identities.length; i += IDENTITIES_PER_PART) parts.push(input.identities.slice(i, i + IDENTITIES_PER_PART));
  const json = certificateJson(input, parts[0] ?? []);
  const text = Buffer.from(JSON.stringify(json, null, 1));
  const pdf = await pdfOf(json, createHash('sha256').update(text).digest('hex'));
  const files: Array<{ id: string; type: string; data: Buffer; title: string }> = [
    { id: `${input.id}-pdf`, type: 'application/pdf', data: pdf, title: 'Certificate of destruction (PDF)' },
    { id: `${input.id}-json`, type: 'application/json', data: text, title: 'Certificate of destruction (JSON)' },
    ...parts.slice(1).map((identities, i) => ({
      id: `${input.id}-identities-${i + 2}`,
      type: 'application/json',
      data: Buffer.from(JSON.stringify({ certificate: json.certificate, part: i + 2, identities })),
      title: `Destroyed identities, part ${i + 2}`,
    })),
  ];
  const reference: DocumentReference = {
    resourceType: 'DocumentReference',
    id: input.id,
    meta: { tag: [CERTIFICATE] },
    status: 'current',
    docStatus: 'final',
    type: { coding: [CERTIFICATE], text: 'Certificate of destruction' },
    date: input.completedAt,
    description: `${input.records.length} records destroyed under review ${input.params.reviewUrl}, approved by ${input.params.approver}`,
    content: files.map((f) => ({ attachment: attachment(f.id, f.type, f.data, f.title) })),
  };
  await repo.ensureTypes(['Binary', 'DocumentReference']);
  await repo.inTransaction(async (tx) => {
    if (await tx.exists('DocumentReference', input.id)) return;
    for (const f of files) await tx.update('Binary', f.id, binary(f.id, input.id, f.type, f.data), { freshId: true });
    await tx.update('DocumentReference', input.id, reference, { freshId: true });
  });
}
