import { Alert, Anchor, Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import type { OperationOutcome, Parameters, Patient } from 'fhir/r4';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { fhir, parameters, runAsync } from '../../api/fhir';
import { dateText, localId, nameText } from '../../api/format';
import { ActionDialog } from '../../components/ActionDialog';
import { ColumnHeads } from '../../components/ColumnHeads';
import { ErrorMessage } from '../../components/Status';

/** The sentences of the OperationOutcome a merge or unmerge answers with (what moved, the Provenance). */
function outcomeText(p: Parameters): string {
  const o = p.parameter?.find((x) => x.name === 'outcome')?.resource as OperationOutcome | undefined;
  return (o?.issue ?? []).map((i) => i.diagnostics ?? i.details?.text ?? '').join(' ');
}

const identifiers = (p: Patient) =>
  (p.identifier ?? [])
    .map((i) => i.value)
    .filter(Boolean)
    .sort()
    .join(', ');
const FIELDS: Array<[string, (p: Patient) => string]> = [
  ['Name', (p) => nameText(p.name)],
  ['Birth date', (p) => dateText(p.birthDate)],
  ['Gender', (p) => p.gender ?? ''],
  ['Identifiers', identifiers],
  ['Address', (p) => (p.address ?? []).map((a) => [a.line?.join(' '), a.city, a.postalCode].filter(Boolean).join(', ')).join('; ')],
  ['Phone', (p) => (p.telecom ?? []).map((t) => t.value).join(', ')],
];

/** Two records side by side, each field marked as agreeing or differing. */
export function SideBySide({ source, target }: { source: Patient; target: Patient }) {
  return (
    <Table>
      <Table.Caption>The two records side by side</Table.Caption>
      <ColumnHeads names={['Field', 'This record (merged away)', 'Surviving record', '']} />
      <Table.Tbody>
        {FIELDS.map(([label, get]) => {
          const same = get(source) === get(target);
          return (
            <Table.Tr key={label}>
              <Table.Th scope="row">{label}</Table.Th>
              <Table.Td>{get(source)}</Table.Td>
              <Table.Td>{get(target)}</Table.Td>
              <Table.Td className={same ? 'state-ok' : 'state-due'}>{same ? 'agrees' : 'differs'}</Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

/**
 * Merge this record into another: the two side by side, the server's preview (what would move), then the merge
 * (Patient/$merge; a record too large for one transaction runs as a job, its progress shown). A pair of the
 * duplicates page opens it with the surviving record proposed.
 */
export function MergeButton({ patient, proposed }: { patient: Patient; proposed?: string }) {
  const [, navigate] = useLocation();
  const [open, setOpen] = useState(proposed !== undefined && patient.active !== false);
  const [targetId, setTargetId] = useState(proposed ?? '');
  const [preview, setPreview] = useState<{ target: Patient; text: string }>();
  const [error, setError] = useState<Error>();
  const [progress, setProgress] = useState<string>();
  const body = (previewOnly: boolean) =>
    parameters({
      'source-patient': { reference: `Patient/${patient.id}` },
      'target-patient': { reference: `Patient/${targetId.trim()}` },
      preview: previewOnly || undefined,
    });
  const runPreview = async () => {
    setError(undefined);
    setPreview(undefined);
    try {
      const target = await fhir<Patient>(`Patient/${encodeURIComponent(targetId.trim())}`);
      const answer = await fhir<Parameters>('Patient/$merge', { method: 'POST', body: body(true) });
      setPreview({ target, text: outcomeText(answer) });
    } catch (err) {
      setError(err as Error);
    }
  };
  const close = () => {
    setOpen(false);
    setPreview(undefined);
    setError(undefined);
  };
  return (
    <>
      <Button size="xs" variant="subtle" onClick={() => setOpen(true)} disabled={patient.active === false}>
        Merge into another record
      </Button>
      <ActionDialog
        title={`Merge ${nameText(patient.name)} into another record`}
        opened={open}
        onClose={close}
        confirm="Merge"
        ready={preview !== undefined}
        act={async () => {
          const answer = await runAsync<Parameters>('Patient/$merge', { method: 'POST', body: body(false) }, setProgress, undefined, false);
          setProgress(undefined);
          navigate(`/patients/${encodeURIComponent(targetId.trim())}?merged=${encodeURIComponent(outcomeText(answer))}`);
        }}
      >
        <Group align="end">
          <TextInput label="Surviving record (Patient id)" value={targetId} onChange={(e) => setTargetId(e.currentTarget.value)} />
          <Button variant="light" onClick={runPreview} disabled={!targetId.trim()}>
            Preview
          </Button>
        </Group>
        {error && <ErrorMessage error={error} />}
        {preview && (
          <Stack>
            <SideBySide source={patient} target={preview.target} />
            <Alert color="blue" title="Preview">
              {preview.text}
            </Alert>
          </Stack>
        )}
        {progress && <Text role="status">Merging: {progress}</Text>}
      </ActionDialog>
    </>
  );
}

/** On a record merged away: where it went, and the undo (Patient/$unmerge from the merge's Provenance). */
export function MergedBanner({ patient, onChange }: { patient: Patient; onChange(): void }) {
  const into = localId(patient.link?.find((l) => l.type === 'replaced-by')?.other.reference, 'Patient');
  const [error, setError] = useState<Error>();
  const [done, setDone] = useState<string>();
  if (!into) return done ? <Alert color="green">{done}</Alert> : null;
  const undo = async () => {
    setError(undefined);
    try {
      const answer = await fhir<Parameters>('Patient/$unmerge', {
        method: 'POST',
        body: parameters({ 'source-patient': { reference: `Patient/${patient.id}` }, 'target-patient': { reference: `Patient/${into}` } }),
      });
      setDone(outcomeText(answer) || 'The merge was undone.');
      onChange();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <Alert color="orange" title="This record was merged away">
      <Stack gap="xs">
        <Text size="sm">
          It was merged into{' '}
          <Anchor component={Link} href={`/patients/${encodeURIComponent(into)}`} c="inherit" underline="always">
            Patient/{into}
          </Anchor>
          , which now holds its data.
        </Text>
        <Button size="xs" w="fit-content" onClick={undo}>
          Undo the merge
        </Button>
        {error && <ErrorMessage error={error} title="The merge cannot be undone" />}
      </Stack>
    </Alert>
  );
}
