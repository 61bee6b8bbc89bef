import { Button, Group, Modal, Table, Text } from '@mantine/core';
import type { Attachment, Bundle, DocumentReference } from 'fhir/r4';
import { useState } from 'react';
import { includedNames, nameOf, resources } from '../../api/fhir';
import { conceptText, dateText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { Async } from '../../components/Status';
import { DIALOG } from '../../components/dialog';
import { AttachmentViewer } from './AttachmentViewer';
import { rowId, useScrollTo } from './Encounters';
import { HistoryButton } from './History';
import { ColumnHeads } from '../../components/ColumnHeads';

interface Open {
  title: string;
  attachment: Attachment;
}

/** The patient's documents newest first; each attachment opens in a viewer (text, HTML, PDF). */
export function Documents({ patientId, focus }: { patientId: string; focus?: string }) {
  const state = useFhir<Bundle>(`DocumentReference?patient=${encodeURIComponent(patientId)}&_sort=-date&_count=200&_include=DocumentReference:author`);
  const [open, setOpen] = useState<Open>();
  useScrollTo(focus && rowId(focus), state.data !== undefined);
  return (
    <>
      <Async state={state} label="Loading documents">
        {(bundle) => {
          const docs = resources<DocumentReference>(bundle, 'DocumentReference');
          const names = includedNames(bundle);
          if (docs.length === 0) return <Text>No documents.</Text>;
          return (
            <Table striped>
              <Table.Caption>Documents</Table.Caption>
              <ColumnHeads names={['Date', 'Type', 'Status', 'Author', 'Content']} />
              <Table.Tbody>
                {docs.map((d) => {
                  const title = `${conceptText(d.type) || 'Document'} ${dateText(d.date)}`;
                  return (
                    <Table.Tr key={d.id} id={rowId(`DocumentReference/${d.id}`)} className={focus === `DocumentReference/${d.id}` ? 'focus-row' : undefined}>
                      <Table.Td>{dateText(d.date ?? d.meta?.lastUpdated)}</Table.Td>
                      <Table.Td>{conceptText(d.type) || conceptText(d.category)}</Table.Td>
                      <Table.Td>{[d.status, d.docStatus].filter(Boolean).join(', ')}</Table.Td>
                      <Table.Td>{(d.author ?? []).map((a) => nameOf(names, a)).join(', ')}</Table.Td>
                      <Table.Td>
                        <Group gap="xs">
                          {d.content.map((c, n) => (
                            <Button key={n} size="xs" variant="light" onClick={() => setOpen({ title, attachment: c.attachment })}>
                              Open {c.attachment.title ?? c.attachment.contentType ?? 'attachment'}
                            </Button>
                          ))}
                          <HistoryButton type="DocumentReference" id={d.id!} label={title} />
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          );
        }}
      </Async>
      <Modal opened={open !== undefined} onClose={() => setOpen(undefined)} title={open?.title} size="xl" {...DIALOG}>
        {open && <AttachmentViewer attachment={open.attachment} />}
      </Modal>
    </>
  );
}
