import { Anchor, List, Table, Text } from '@mantine/core';
import type { OperationOutcome, Parameters } from 'fhir/r4';
import { Link } from 'wouter';
import { paramValue } from '../../api/fhir';
import { dateText, localId } from '../../api/format';
import { manifestLines, type Manifest } from '../../api/jobs';
import { ColumnHeads } from '../../components/ColumnHeads';

/** One record a review found eligible: whose, by which rule, since when, and what destruction would take. */
export interface Reviewed {
  patient: string;
  rule: string;
  trigger?: string;
  destroyAfter?: string;
  counts: Array<[string, number]>;
}

export interface Review {
  records: Reviewed[];
  /** The records eligible but held, as the server words them. */
  held: string[];
}

/** A finished $destruction-review's files: one Parameters line per record, held records in the error file. */
export async function reviewOf(manifest: Manifest): Promise<Review> {
  const lines = await manifestLines<Parameters>(manifest, 'output', 'Parameters');
  const records = lines.map((l): Reviewed => {
    const p = l.parameter ?? [];
    return {
      patient: String(paramValue(p, 'patient') ?? ''),
      rule: String(paramValue(p, 'rule') ?? ''),
      trigger: paramValue(p, 'trigger-date') as string | undefined,
      destroyAfter: paramValue(p, 'destroy-after') as string | undefined,
      counts: p.filter((x) => x.name === 'count').map((c) => [String(paramValue(c.part, 'type')), Number(paramValue(c.part, 'count'))]),
    };
  });
  const errors = await manifestLines<OperationOutcome>(manifest, 'error', 'OperationOutcome');
  return { records, held: errors.flatMap((o) => o.issue.map((i) => i.diagnostics ?? i.details?.text ?? '')) };
}

export function ReviewList({ review }: { review: Review }) {
  return (
    <>
      {review.records.length === 0 ? (
        <Text>No record is eligible for destruction on this date.</Text>
      ) : (
        <Table striped>
          <Table.Caption>Records eligible for destruction ({review.records.length})</Table.Caption>
          <ColumnHeads names={['Record', 'Rule', 'Counted from', 'Destroy after', 'What would be destroyed']} />
          <Table.Tbody>
            {review.records.map((r) => {
              const id = localId(r.patient, 'Patient');
              return (
                <Table.Tr key={r.patient}>
                  <Table.Td>
                    {id ? (
                      <Anchor component={Link} href={`/patients/${encodeURIComponent(id)}?tab=retention`}>
                        {r.patient}
                      </Anchor>
                    ) : (
                      r.patient
                    )}
                  </Table.Td>
                  <Table.Td>{r.rule}</Table.Td>
                  <Table.Td>{dateText(r.trigger)}</Table.Td>
                  <Table.Td>{dateText(r.destroyAfter)}</Table.Td>
                  <Table.Td>{r.counts.map(([type, n]) => `${type}: ${n}`).join(', ')}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      {review.held.length > 0 && (
        <>
          <Text fw={600}>Eligible but held (left out)</Text>
          <List>
            {review.held.map((h) => (
              <List.Item key={h}>{h}</List.Item>
            ))}
          </List>
        </>
      )}
    </>
  );
}
