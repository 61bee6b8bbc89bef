import { Button, Stack, Table, Text } from '@mantine/core';
import type { Parameters, ParametersParameter } from 'fhir/r4';
import { useState } from 'react';
import { paramValue, query } from '../../api/fhir';
import { dateText } from '../../api/format';
import { useFhir } from '../../api/use-fhir';
import { ColumnHeads } from '../../components/ColumnHeads';
import { DataRow } from '../../components/DataRow';
import { type Period, ReportPeriod } from '../../components/ReportPeriod';
import { Async } from '../../components/Status';

/** One user and client who reached the record, and each access (the report's `accessor` part). */
interface Accessor {
  who: string;
  client: string;
  count: number;
  first: string;
  last: string;
  accesses: Array<{ date: string; interaction: string; types: string; purposes: string }>;
}

const all = (parts: ParametersParameter[] | undefined, name: string) => (parts ?? []).filter((p) => p.name === name);
const text = (parts: ParametersParameter[] | undefined, name: string) => String(paramValue(parts, name) ?? '');

function accessorsOf(report: Parameters): Accessor[] {
  return all(report.parameter, 'accessor').map((a) => ({
    who: text(a.part, 'user') || '(no user named)',
    client: [text(a.part, 'client'), text(a.part, 'recipient')].filter(Boolean).join(' for ') || '(no client named)',
    count: Number(paramValue(a.part, 'count') ?? 0),
    first: text(a.part, 'first'),
    last: text(a.part, 'last'),
    accesses: all(a.part, 'access').map((x) => ({
      date: text(x.part, 'date'),
      interaction: text(x.part, 'interaction'),
      types: all(x.part, 'type')
        .map((t) => t.valueCode)
        .join(', '),
      purposes: all(x.part, 'purpose')
        .map((t) => t.valueCode)
        .join(', '),
    })),
  }));
}

/**
 * Who accessed the record in a period (`Patient/[id]/$access-report`): every user and client, how often, first and
 * last, and each access on demand; printable, also as the server's own page.
 */
export function AccessReport({ patientId }: { patientId: string }) {
  const [asked, setAsked] = useState<Period>({ start: '', end: '' });
  const path = `Patient/${encodeURIComponent(patientId)}/$access-report?${query(asked)}`;
  const state = useFhir<Parameters>(path);
  const [open, setOpen] = useState<number>();
  return (
    <Stack>
      <ReportPeriod show="Show the access report" path={path} onShow={setAsked} />
      <Text size="sm">Every access this server recorded, reads included. Without dates: the six years up to today.</Text>
      <Async state={state} label="Loading the access report">
        {(report) => {
          const accessors = accessorsOf(report);
          if (accessors.length === 0) return <Text>No access in this period.</Text>;
          return (
            <Table striped>
              <Table.Caption>
                Accesses from {dateText(text(report.parameter, 'start'))} to {dateText(text(report.parameter, 'end'))}, by user and client
              </Table.Caption>
              <ColumnHeads names={['User', 'Client', 'Accesses', 'First', 'Last', 'Details']} />
              <Table.Tbody>
                {accessors.map((a, n) => (
                  <AccessorRows key={`${a.who} ${a.client}`} accessor={a} open={open === n} toggle={() => setOpen(open === n ? undefined : n)} />
                ))}
              </Table.Tbody>
            </Table>
          );
        }}
      </Async>
    </Stack>
  );
}

function AccessorRows({ accessor: a, open, toggle }: { accessor: Accessor; open: boolean; toggle(): void }) {
  return (
    <>
      <Table.Tr>
        <Table.Td>{a.who}</Table.Td>
        <Table.Td>{a.client}</Table.Td>
        <Table.Td>{a.count}</Table.Td>
        <Table.Td>{dateText(a.first)}</Table.Td>
        <Table.Td>{dateText(a.last)}</Table.Td>
        <Table.Td>
          <Button
            size="compact-sm"
            variant="subtle"
            onClick={toggle}
            aria-expanded={open}
            aria-label={`${open ? 'Hide' : 'Show'} the accesses of ${a.who} through ${a.client}`}
          >
            {open ? 'Hide' : 'Show'}
          </Button>
        </Table.Td>
      </Table.Tr>
      {open && (
        <Table.Tr>
          <Table.Td colSpan={6}>
            <Table>
              <ColumnHeads names={['Date', 'Interaction', 'Types', 'Purpose']} />
              <Table.Tbody>
                {a.accesses.map((x, i) => (
                  <DataRow key={i} values={[dateText(x.date), x.interaction, x.types, x.purposes]} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}
