import { Alert, Anchor, Button, Group, Progress, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import type { Bundle, Parameters, Patient } from 'fhir/r4';
import { useState } from 'react';
import { Link } from 'wouter';
import { paramValue, parameters, request, resources, runAsync } from '../api/fhir';
import { localId, nameText } from '../api/format';
import { manifestLines, type Manifest } from '../api/jobs';
import { ColumnHeads } from '../components/ColumnHeads';
import { ErrorMessage } from '../components/Status';

interface Pair {
  patient: string;
  candidate: string;
  score: number;
  grade: string;
  agrees: string[];
  differs: string[];
}

/** The pairs of a $find-duplicates manifest: every NDJSON file read through the API, one Parameters a line. */
async function pairsOf(manifest: Manifest): Promise<Pair[]> {
  const pairs = (await manifestLines<Parameters>(manifest)).map((line): Pair => {
    const p = line.parameter ?? [];
    const all = (name: string) => p.filter((x) => x.name === name).map((x) => x.valueString ?? '');
    return {
      patient: String(paramValue(p, 'patient')),
      candidate: String(paramValue(p, 'candidate')),
      score: Number(paramValue(p, 'score')),
      grade: String(paramValue(p, 'grade')),
      agrees: all('agrees'),
      differs: all('differs'),
    };
  });
  return pairs.sort((a, b) => b.score - a.score);
}

/** Names of the patients of the pairs, by reference, in one search. */
async function namesOf(pairs: Pair[]): Promise<Map<string, string>> {
  const ids = [...new Set(pairs.flatMap((p) => [localId(p.patient, 'Patient'), localId(p.candidate, 'Patient')]))].filter((x): x is string => !!x).slice(0, 200);
  if (ids.length === 0) return new Map();
  const bundle = (await (await request(`Patient?_id=${ids.map(encodeURIComponent).join(',')}&_count=${ids.length}`)).json()) as Bundle;
  return new Map(resources<Patient>(bundle, 'Patient').map((p) => [`Patient/${p.id}`, nameText(p.name)]));
}

/** Candidate duplicate records across the store ($find-duplicates, a job), each pair opening the merge. */
export function DuplicatesPage() {
  const [threshold, setThreshold] = useState('0.5');
  const [progress, setProgress] = useState<string>();
  const [error, setError] = useState<Error>();
  const [found, setFound] = useState<{ pairs: Pair[]; names: Map<string, string> }>();
  const run = async () => {
    setError(undefined);
    setFound(undefined);
    setProgress('starting');
    try {
      const manifest = await runAsync<Manifest>('Patient/$find-duplicates', { method: 'POST', body: parameters({ threshold: Number(threshold) || 0.5 }) }, setProgress);
      const pairs = await pairsOf(manifest);
      setFound({ pairs, names: await namesOf(pairs) });
    } catch (err) {
      setError(err as Error);
    }
    setProgress(undefined);
  };
  const name = (ref: string) => found?.names.get(ref) ?? ref;
  return (
    <Stack>
      <Title order={2}>Duplicate records</Title>
      <Group align="end">
        <TextInput label="Lowest score (0 to 1)" type="number" min={0} max={1} step={0.05} value={threshold} onChange={(e) => setThreshold(e.currentTarget.value)} />
        <Button onClick={run} loading={progress !== undefined} loaderProps={{ 'aria-label': 'Search running' }}>
          Find duplicates
        </Button>
      </Group>
      {progress !== undefined && (
        <Stack gap={4} role="status">
          <Text size="sm">Comparing records: {progress}</Text>
          <Progress value={100} animated striped aria-label="Search in progress" />
        </Stack>
      )}
      {error && <ErrorMessage error={error} title="The search failed" />}
      {found && found.pairs.length === 0 && <Alert color="green">No candidate pair at or above this score.</Alert>}
      {found && found.pairs.length > 0 && (
        <Table striped>
          <Table.Caption>Candidate pairs, best first</Table.Caption>
          <ColumnHeads names={['Record', 'Candidate', 'Score', 'Grade', 'Agrees', 'Differs', 'Merge']} />
          <Table.Tbody>
            {found.pairs.map((p) => (
              <Table.Tr key={`${p.patient} ${p.candidate}`}>
                <Table.Td>
                  {name(p.patient)} ({p.patient})
                </Table.Td>
                <Table.Td>
                  {name(p.candidate)} ({p.candidate})
                </Table.Td>
                <Table.Td>{p.score.toFixed(3)}</Table.Td>
                <Table.Td>{p.grade}</Table.Td>
                <Table.Td>{p.agrees.join(', ')}</Table.Td>
                <Table.Td>{p.differs.join(', ')}</Table.Td>
                <Table.Td>
                  <Anchor
                    component={Link}
                    href={`/patients/${encodeURIComponent(localId(p.candidate, 'Patient') ?? '')}?mergeInto=${encodeURIComponent(localId(p.patient, 'Patient') ?? '')}`}
                    aria-label={`Compare and merge ${p.candidate} into ${p.patient}`}
                  >
                    Compare and merge
                  </Anchor>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
