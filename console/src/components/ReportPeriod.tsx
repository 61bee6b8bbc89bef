import { Anchor, Button, Group, TextInput } from '@mantine/core';
import { useState } from 'react';
import { FHIR_BASE } from '../api/fhir';

export type Period = {
  start: string;
  end: string;
};

/**
 * The period of a report (from, to; empty: the server's default), the button that shows it, printing, and the
 * server's own printable page of it (`_format=html`). Children: the report's other actions.
 */
export function ReportPeriod({ show, path, onShow, children }: { show: string; path: string; onShow(p: Period): void; children?: React.ReactNode }) {
  const [period, setPeriod] = useState<Period>({ start: '', end: '' });
  return (
    <Group align="end" className="no-print">
      <TextInput label="From" type="date" value={period.start} onChange={(e) => setPeriod({ ...period, start: e.currentTarget.value })} />
      <TextInput label="To" type="date" value={period.end} onChange={(e) => setPeriod({ ...period, end: e.currentTarget.value })} />
      <Button onClick={() => onShow(period)}>{show}</Button>
      <Button variant="light" onClick={() => window.print()}>
        Print
      </Button>
      <Anchor href={`${FHIR_BASE}/${path}&_format=html`} target="_blank" rel="noreferrer">
        The server&apos;s printable page
      </Anchor>
      {children}
    </Group>
  );
}
