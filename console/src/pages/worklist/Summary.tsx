import { Card, Group, Table, Text, Title } from '@mantine/core';
import type { Parameters, ParametersParameter } from 'fhir/r4';

/** $completeness-summary's counts: the totals, and bars of deficient and delinquent per rule, clinician and age. */
export interface Counts {
  open: number;
  deficient: number;
  delinquent: number;
}
export interface Group_ extends Counts {
  key: string;
  label: string;
}

const count = (parts: ParametersParameter[] | undefined, name: string) => parts?.find((p) => p.name === name)?.valueInteger ?? 0;
const counts = (parts: ParametersParameter[] | undefined): Counts => ({
  open: count(parts, 'open'),
  deficient: count(parts, 'deficient'),
  delinquent: count(parts, 'delinquent'),
});

export interface SummaryData {
  totals: Counts;
  rules: Group_[];
  owners: Group_[];
  ages: Group_[];
}

export function readSummary(p: Parameters, ownerName: (reference: string) => string): SummaryData {
  const groups = (name: string, key: (parts: ParametersParameter[]) => [string, string]) =>
    (p.parameter ?? [])
      .filter((x) => x.name === name)
      .map((x) => {
        const [k, label] = key(x.part ?? []);
        return { key: k, label, ...counts(x.part) };
      });
  return {
    totals: counts(p.parameter),
    rules: groups('rule', (parts) => {
      const c = parts.find((x) => x.name === 'code')?.valueCoding;
      return [c?.code ?? '', c?.display ?? c?.code ?? ''];
    }),
    owners: groups('owner', (parts) => {
      const ref = parts.find((x) => x.name === 'owner')?.valueReference?.reference;
      return ref ? [ref, ownerName(ref)] : ['unassigned', 'Unassigned'];
    }),
    ages: groups('age', (parts) => {
      const d = parts.find((x) => x.name === 'days')?.valueString ?? '';
      return [d, d === 'over-30' ? 'over 30 days' : `${d} days`];
    }),
  };
}

function Bars({ title, groups }: { title: string; groups: Group_[] }) {
  const max = Math.max(1, ...groups.map((g) => g.open));
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="xs">
        {title}
      </Title>
      <Table>
        <Table.Tbody>
          {groups.map((g) => (
            <Table.Tr key={g.key}>
              <Table.Th scope="row" fw="normal">
                {g.label}
              </Table.Th>
              <Table.Td w="45%">
                <div className="bar" role="img" aria-label={`${g.label}: ${g.deficient} within the deadline, ${g.delinquent} delinquent`}>
                  <span className="bar-deficient" style={{ width: `${(100 * g.deficient) / max}%` }} />
                  <span className="bar-delinquent" style={{ width: `${(100 * g.delinquent) / max}%` }} />
                </div>
              </Table.Td>
              <Table.Td>
                {g.open} open ({g.delinquent} delinquent)
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

export function Summary({ data }: { data: SummaryData }) {
  return (
    <>
      <Group>
        {(['open', 'deficient', 'delinquent'] as const).map((k) => (
          <Card key={k} withBorder miw={140}>
            <Text size="sm">{k === 'open' ? 'Open deficiencies' : k === 'deficient' ? 'Within deadline' : 'Delinquent'}</Text>
            <Text size="xl" fw={700}>
              {data.totals[k]}
            </Text>
          </Card>
        ))}
      </Group>
      <div className="two-columns">
        <Bars title="By rule" groups={data.rules} />
        <Bars title="By age" groups={data.ages} />
        <Bars title="By clinician" groups={data.owners} />
      </div>
      <Text size="sm" c="dimmed">
        Bars: yellow within the deadline, red delinquent.
      </Text>
    </>
  );
}
