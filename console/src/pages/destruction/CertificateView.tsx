import { Stack, Table, Text, Title } from '@mantine/core';
import type { DocumentReference } from 'fhir/r4';
import { useEffect, useState } from 'react';
import { dateText } from '../../api/format';
import { type Settled, settle, useFhir } from '../../api/use-fhir';
import { ColumnHeads } from '../../components/ColumnHeads';
import { DataRow } from '../../components/DataRow';
import { FactTable } from '../../components/FactTable';
import { Async, ErrorMessage, Loading } from '../../components/Status';
import { AttachmentViewer, readAttachment } from '../chart/AttachmentViewer';

/** The type and tag of a certificate of destruction (src/destruction/certificate.ts), to search certificates by. */
export const CERTIFICATE_TYPE = 'http://fhirstone.org/fhir/CodeSystem/record-management|destruction-certificate';

/** The part of the certificate's JSON attachment the summary reads (the server's certificateJson). */
interface CertificateJson {
  review: { url: string; date: string; requestedAt: string; requester: string };
  approval: { approver: string; at: string };
  startedAt: string;
  completedAt: string;
  records: Array<{ rule: string }>;
  totals: Record<string, { resources: number; versions: number; rewritten: number; versionsRewritten: number }>;
  droppedOut: number;
}

/** The certificate's JSON attachment, read through the API and parsed. */
function useCertificateJson(doc: DocumentReference | undefined): Settled<CertificateJson> {
  const [state, setState] = useState<Settled<CertificateJson>>({});
  useEffect(() => {
    const attachment = doc?.content.find((c) => c.attachment.contentType === 'application/json')?.attachment;
    if (!doc) return;
    if (!attachment) {
      setState({ error: new Error('The certificate has no JSON attachment') });
      return;
    }
    const reading = readAttachment(attachment).then((c) => {
      if (!c) throw new Error('The certificate has no readable JSON attachment');
      return JSON.parse(new TextDecoder().decode(c.bytes)) as CertificateJson;
    });
    return settle(reading, setState);
  }, [doc]);
  return state;
}

function Summary({ json }: { json: CertificateJson }) {
  const rules = new Map<string, number>();
  for (const r of json.records) rules.set(r.rule, (rules.get(r.rule) ?? 0) + 1);
  const totals = Object.entries(json.totals);
  const resources = totals.reduce((n, [, t]) => n + t.resources, 0);
  return (
    <>
      <FactTable
        facts={[
          ['Records destroyed', String(json.records.length)],
          ['Resources removed', String(resources)],
          ['Records that dropped out (hold, change, no longer eligible)', String(json.droppedOut)],
          ['Carried out', `${dateText(json.startedAt)} to ${dateText(json.completedAt)}`],
          ['Review', `records eligible on ${dateText(json.review.date)}, requested ${dateText(json.review.requestedAt)} by ${json.review.requester}`],
          ['Approved', `${dateText(json.approval.at)} by ${json.approval.approver}`],
          ['Retention rules', [...rules].map(([rule, n]) => `${rule}: ${n}`).join(', ')],
        ]}
      />
      {totals.length > 0 && (
        <Table striped>
          <Table.Caption>Removed and rewritten per type</Table.Caption>
          <ColumnHeads names={['Type', 'Resources removed', 'Versions removed', 'Shared resources rewritten', 'Versions rewritten']} />
          <Table.Tbody>
            {totals.map(([type, t]) => (
              <DataRow key={type} values={[type, t.resources, t.versions, t.rewritten, t.versionsRewritten]} />
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}

/**
 * A certificate of destruction (`DocumentReference/<id>`): its summary from the JSON attachment (when, which rules,
 * on whose authority, how many records and resources) and its PDF in the chart's document viewer, with a download.
 */
export function CertificateView({ id, order = 3 }: { id: string; order?: 2 | 3 }) {
  const state = useFhir<DocumentReference>(`DocumentReference/${encodeURIComponent(id)}`);
  const { data: json, error } = useCertificateJson(state.data);
  const pdf = state.data?.content.find((c) => c.attachment.contentType === 'application/pdf')?.attachment;
  return (
    <Async state={state} label="Loading the certificate">
      {(doc) => (
        <Stack>
          <Title order={order}>Certificate of destruction {doc.id}</Title>
          {doc.description && <Text>{doc.description}</Text>}
          {error && <ErrorMessage error={error} title="The certificate's summary cannot be read" />}
          {!error && (json ? <Summary json={json} /> : <Loading label="Loading the certificate's summary" />)}
          {pdf && <AttachmentViewer attachment={pdf} />}
        </Stack>
      )}
    </Async>
  );
}
