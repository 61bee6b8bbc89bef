import { Anchor, Stack, Table, Text, Title } from '@mantine/core';
import type { Bundle, DocumentReference } from 'fhir/r4';
import { Link } from 'wouter';
import { resources } from '../../api/fhir';
import { dateText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { ColumnHeads } from '../../components/ColumnHeads';
import { Async } from '../../components/Status';
import { CERTIFICATE_TYPE, CertificateView } from './CertificateView';

/** Every certificate of destruction, newest first (they name no patient, and are kept forever). */
export function CertificatesPage() {
  const state = useFhir<Bundle>(`DocumentReference?type=${encodeURIComponent(CERTIFICATE_TYPE)}&_sort=-date&_count=200`);
  return (
    <Stack>
      <Title order={2}>Certificates of destruction</Title>
      <Async state={state} label="Loading the certificates">
        {(bundle) => {
          const docs = resources<DocumentReference>(bundle, 'DocumentReference');
          if (docs.length === 0) return <Text>No destruction has been carried out yet.</Text>;
          return (
            <Table striped>
              <Table.Caption>Certificates of destruction ({docs.length})</Table.Caption>
              <ColumnHeads names={['Certificate', 'Carried out', 'What']} />
              <Table.Tbody>
                {docs.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Anchor component={Link} href={`/destruction/certificates/${encodeURIComponent(d.id ?? '')}`}>
                        {d.id}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{dateText(d.date)}</Table.Td>
                    <Table.Td>{d.description}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          );
        }}
      </Async>
    </Stack>
  );
}

export function CertificatePage({ id }: { id: string }) {
  return (
    <Stack>
      <Anchor component={Link} href="/destruction/certificates">
        All certificates of destruction
      </Anchor>
      <CertificateView id={id} order={2} />
    </Stack>
  );
}
