import { Anchor, Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'wouter';
import { parameters, runAsync } from '../../api/fhir';
import type { Manifest } from '../../api/jobs';
import { ErrorMessage } from '../../components/Status';
import { type Review, ReviewList, reviewOf } from './ReviewList';

const today = () => new Date().toISOString().slice(0, 10);

/**
 * The first step of destruction: which records the retention rules make eligible on a date ($destruction-review, a
 * job with its progress), held records left out. The review then goes to a second person for approval.
 */
export function DestructionReviewPage() {
  const [date, setDate] = useState(today);
  const [progress, setProgress] = useState<string>();
  const [error, setError] = useState<Error>();
  const [done, setDone] = useState<{ review: Review; status: string }>();
  const run = async () => {
    setError(undefined);
    setDone(undefined);
    setProgress('starting');
    let status = '';
    try {
      const manifest = await runAsync<Manifest>('$destruction-review', { method: 'POST', body: parameters({ date }) }, (text, url) => {
        setProgress(text);
        status = url;
      });
      setDone({ review: await reviewOf(manifest), status });
    } catch (err) {
      setError(err as Error);
    }
    setProgress(undefined);
  };
  return (
    <Stack>
      <Title order={2}>Destruction review</Title>
      <Text>
        Lists the records the retention schedule makes eligible for destruction on a date. Nothing is destroyed here: a second person approves the review on the approval
        page, and only then are the records destroyed and a certificate made.
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <Group align="end">
          <TextInput label="Eligible on" type="date" required value={date} onChange={(e) => setDate(e.currentTarget.value)} />
          <Button type="submit" loading={progress !== undefined}>
            Review eligible records
          </Button>
        </Group>
      </form>
      {progress && (
        <Text role="status" size="sm">
          Reviewing: {progress}
        </Text>
      )}
      {error && <ErrorMessage error={error} />}
      {done && (
        <>
          <Text role="status">
            Review finished: {done.review.records.length} records eligible. Send it to the person who approves it:{' '}
            <Anchor component={Link} href={`/destruction/approve?review=${encodeURIComponent(done.status)}`}>
              approval of this review
            </Anchor>
            .
          </Text>
          <ReviewList review={done.review} />
        </>
      )}
    </Stack>
  );
}
