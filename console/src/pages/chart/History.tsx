import { Anchor, Button, Group, Modal, Select, Stack, Table, Text } from '@mantine/core';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { compare, getValueByPointer, type Operation } from 'fast-json-patch';
import { useState } from 'react';
import { Link } from 'wouter';
import { dateText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { DIALOG } from '../../components/dialog';
import { Async } from '../../components/Status';
import { ColumnHeads } from '../../components/ColumnHeads';
import { DataRow } from '../../components/DataRow';

/** A button that opens the version history of one resource in a dialog. */
export function HistoryButton({ type, id, label }: { type: string; id: string; label: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button size="xs" variant="subtle" onClick={() => setOpen(true)} aria-label={`History of ${label}`}>
        History
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`History of ${label}`} size="xl" {...DIALOG}>
        {open && <ResourceHistory type={type} id={id} />}
      </Modal>
    </>
  );
}

const METHOD: Record<string, string> = { POST: 'created', PUT: 'updated', PATCH: 'patched', DELETE: 'deleted' };
const versionOf = (e: BundleEntry) => e.resource?.meta?.versionId ?? e.response?.etag?.replace(/^W\/"|"$/g, '') ?? '?';
/** What differs between versions is the content: the version's own bookkeeping always does. */
const content = (r: Resource | undefined) => (r ? { ...r, meta: { ...r.meta, versionId: undefined, lastUpdated: undefined } } : {});

function ResourceHistory({ type, id }: { type: string; id: string }) {
  const state = useFhir<Bundle>(`${type}/${encodeURIComponent(id)}/_history?_count=100`);
  return (
    <Async state={state} label="Loading the history">
      {(bundle) => <Versions type={type} id={id} entries={bundle.entry ?? []} />}
    </Async>
  );
}

function Versions({ type, id, entries }: { type: string; id: string; entries: BundleEntry[] }) {
  const options = entries.map((e) => ({
    value: versionOf(e),
    label: `Version ${versionOf(e)} (${dateText(e.resource?.meta?.lastUpdated ?? e.response?.lastModified)})`,
  }));
  const [to, setTo] = useState<string | null>(options[0]?.value ?? null);
  const [from, setFrom] = useState<string | null>(options[1]?.value ?? null);
  const find = (v: string | null) => entries.find((e) => versionOf(e) === v)?.resource;
  return (
    <Stack>
      <Table>
        <Table.Caption>
          Versions, newest first. Who made each change:{' '}
          <Anchor component={Link} href={`/audit?entity=${encodeURIComponent(`${type}/${id}`)}`}>
            the audit trail of this record
          </Anchor>
        </Table.Caption>
        <ColumnHeads names={['Version', 'When', 'Change', 'Source']} />
        <Table.Tbody>
          {entries.map((e) => (
            <DataRow
              key={versionOf(e)}
              values={[
                versionOf(e),
                dateText(e.resource?.meta?.lastUpdated ?? e.response?.lastModified),
                METHOD[e.request?.method ?? ''] ?? (e.resource ? 'stored' : 'deleted'),
                e.resource?.meta?.source ?? '',
              ]}
            />
          ))}
        </Table.Tbody>
      </Table>
      {entries.length > 1 && (
        <>
          <Group>
            <Select label="Compare version" data={options} value={from} onChange={setFrom} allowDeselect={false} />
            <Select label="with version" data={options} value={to} onChange={setTo} allowDeselect={false} />
          </Group>
          <Diff before={find(from)} after={find(to)} />
        </>
      )}
    </Stack>
  );
}

const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The differences between two versions as a JSON Patch (fast-json-patch), one row per changed element. */
function Diff({ before, after }: { before?: Resource; after?: Resource }) {
  const old = content(before);
  const ops = compare(old, content(after)).filter((op): op is Operation & { path: string } => op.op !== 'test');
  if (ops.length === 0) return <Text>No difference in content.</Text>;
  return (
    <Table striped>
      <Table.Caption>Differences</Table.Caption>
      <ColumnHeads names={['Element', 'Change', 'Before', 'After']} />
      <Table.Tbody>
        {ops.map((op, n) => (
          <DataRow
            key={n}
            values={[
              op.path.slice(1).replace(/\//g, '.'),
              op.op === 'add' ? 'added' : op.op === 'remove' ? 'removed' : 'changed',
              op.op === 'add' ? '' : show(getValueByPointer(old, op.path)),
              'value' in op ? show(op.value) : '',
            ]}
          />
        ))}
      </Table.Tbody>
    </Table>
  );
}
