import { Button, Select, Stack, Table, Text, Textarea, TextInput } from '@mantine/core';
import type { AuditEvent, Bundle } from 'fhir/r4';
import { useState } from 'react';
import { query, request, resources } from '../../api/fhir';
import { dateText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { ActionDialog } from '../../components/ActionDialog';
import { ColumnHeads } from '../../components/ColumnHeads';
import { type Period, ReportPeriod } from '../../components/ReportPeriod';
import { Async } from '../../components/Status';

const PURPOSES = [
  ['TREAT', 'Treatment'],
  ['HPAYMT', 'Payment'],
  ['HOPERAT', 'Health care operations'],
  ['PUBHLTH', 'Public health'],
  ['HLEGAL', 'Legal'],
  ['HRESCH', 'Research'],
  ['PATRQT', 'Patient request'],
].map(([value, label]) => ({ value, label }));

const IRCP = 'IRCP';
const recipient = (e: AuditEvent) => e.agent?.find((a) => a.type?.coding?.some((c) => c.code === IRCP));
const addressOf = (e: AuditEvent) => {
  const a = recipient(e)?.extension?.find((x) => x.url.endsWith('/recipient-address'))?.valueAddress;
  return a?.text ?? [a?.line?.join(' '), a?.city, a?.state].filter(Boolean).join(', ');
};

/** The outside disclosure the accounting must list, as the server checks it (README, "Disclosures made outside"). */
function outsideDisclosure(patientId: string, f: Form): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110106', display: 'Export' },
    subtype: [{ system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'disclose' }],
    action: 'R',
    period: { start: f.date },
    recorded: new Date().toISOString(),
    purposeOfEvent: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: f.purpose }] }],
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: IRCP }] },
        who: { display: f.recipient },
        requestor: false,
        ...(f.address ? { extension: [{ url: 'http://fhirstone.org/fhir/StructureDefinition/recipient-address', valueAddress: { text: f.address } }] } : {}),
      },
      { who: { display: f.by || 'records office' }, requestor: true },
    ],
    source: { observer: { display: 'records console' } },
    entity: [{ what: { reference: `Patient/${patientId}` }, description: f.what }],
  };
}

interface Form {
  date: string;
  recipient: string;
  address: string;
  purpose: string;
  what: string;
  by: string;
}
const EMPTY: Form = { date: '', recipient: '', address: '', purpose: 'PUBHLTH', what: '', by: '' };

/** The accounting of disclosures for a period (printable, also as the server's own page), and recording one. */
export function Disclosures({ patientId }: { patientId: string }) {
  const [asked, setAsked] = useState<Period>({ start: '', end: '' });
  const path = `Patient/${encodeURIComponent(patientId)}/$disclosures?${query(asked)}`;
  const state = useFhir<Bundle>(path);
  const [recording, setRecording] = useState(false);
  const [form, setForm] = useState<Form>(EMPTY);
  const set = (k: keyof Form) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => setForm({ ...form, [k]: e.currentTarget.value });
  return (
    <Stack>
      <ReportPeriod show="Show the accounting" path={path} onShow={setAsked}>
        <Button variant="light" onClick={() => setRecording(true)}>
          Record a disclosure made outside the system
        </Button>
      </ReportPeriod>
      <Text size="sm">Without dates: the six years up to today.</Text>
      <Async state={state} label="Loading the accounting">
        {(bundle) => <Accounting events={resources<AuditEvent>(bundle, 'AuditEvent')} />}
      </Async>
      <ActionDialog
        title="Record a disclosure made outside the system"
        opened={recording}
        onClose={() => setRecording(false)}
        confirm="Record the disclosure"
        ready={Boolean(form.date && form.recipient.trim() && form.what.trim())}
        act={async () => {
          await request('AuditEvent', { method: 'POST', body: JSON.stringify(outsideDisclosure(patientId, form)) });
          setForm(EMPTY);
          state.reload();
        }}
      >
        <TextInput label="Date disclosed" type="date" required value={form.date} onChange={set('date')} />
        <TextInput label="Recipient" required value={form.recipient} onChange={set('recipient')} />
        <TextInput label="Recipient's address" value={form.address} onChange={set('address')} />
        <Select label="Purpose" data={PURPOSES} value={form.purpose} onChange={(v) => setForm({ ...form, purpose: v ?? 'PUBHLTH' })} allowDeselect={false} />
        <Textarea label="What was disclosed" required value={form.what} onChange={set('what')} />
        <TextInput label="Disclosed by" value={form.by} onChange={set('by')} />
      </ActionDialog>
    </Stack>
  );
}

function Accounting({ events }: { events: AuditEvent[] }) {
  if (events.length === 0) return <Text>No disclosure in this period.</Text>;
  return (
    <Table striped>
      <Table.Caption>Accounting of disclosures, oldest first</Table.Caption>
      <ColumnHeads names={['Date', 'Recipient', 'Address', 'What was disclosed', 'Purpose', 'Disclosed by']} />
      <Table.Tbody>
        {events.map((e, n) => (
          <Table.Tr key={e.id ?? n}>
            <Table.Td>{dateText(e.period?.start ?? e.recorded)}</Table.Td>
            <Table.Td>{recipient(e)?.name ?? recipient(e)?.who?.display}</Table.Td>
            <Table.Td>{addressOf(e)}</Table.Td>
            <Table.Td>
              {(e.entity ?? [])
                .map((x) => x.description)
                .filter(Boolean)
                .join('; ')}
            </Table.Td>
            <Table.Td>{(e.purposeOfEvent ?? []).map((p) => p.text ?? p.coding?.[0]?.display ?? p.coding?.[0]?.code).join(', ')}</Table.Td>
            <Table.Td>
              {(e.agent ?? [])
                .filter((a) => a.requestor)
                .map((a) => a.name ?? a.who?.display)
                .join(', ')}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
