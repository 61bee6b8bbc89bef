import { Alert, Anchor, Button, Code, Stack, Text, TextInput, Title } from '@mantine/core';
import type { Parameters } from 'fhir/r4';
import { useEffect, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { fhir, paramValue, parameters, runAsync } from '../../api/fhir';
import { localId } from '../../api/format';
import { manifestLines, type Manifest } from '../../api/jobs';
import { type Settled, settle } from '../../api/use-fhir';
import { useMode } from '../../auth/mode-context';
import { ActionDialog } from '../../components/ActionDialog';
import { ErrorMessage, Loading } from '../../components/Status';
import { CertificateView } from './CertificateView';
import { type Review, ReviewList, reviewOf } from './ReviewList';

/** The review a status URL names, once finished (a review still running answers 202: no manifest yet). */
function useReview(url: string | null): Settled<Review> {
  const [state, setState] = useState<Settled<Review>>({});
  useEffect(() => {
    if (!url) return;
    setState({});
    const finished = fhir<Manifest>(url).then((m) => (m.output ? reviewOf(m) : Promise.reject(new Error('The review has not finished yet: reload in a moment'))));
    return settle(finished, setState);
  }, [url]);
  return state;
}

/**
 * The second step: another person than the review's requester reads the review and approves it
 * ($destruction-approve, a job), which destroys the records and stores a certificate. The server enforces the
 * two-person rule; protected mode has no users, so there approval is impossible and the page says why.
 */
export function DestructionApprovalPage() {
  const url = new URLSearchParams(useSearch()).get('review');
  const [, navigate] = useLocation();
  const [asked, setAsked] = useState(url ?? '');
  const mode = useMode();
  const { data: review, error } = useReview(url);
  const [confirming, setConfirming] = useState(false);
  const [progress, setProgress] = useState<string>();
  const [certificates, setCertificates] = useState<string[]>();
  const approve = async () => {
    setProgress('starting');
    try {
      const manifest = await runAsync<Manifest>('$destruction-approve', { method: 'POST', body: parameters({ review: url ?? '' }) }, setProgress);
      const lines = await manifestLines<Parameters>(manifest);
      setCertificates(lines.map((l) => paramValue(l.parameter, 'certificate')).filter((c): c is string => typeof c === 'string'));
    } finally {
      setProgress(undefined);
    }
  };
  return (
    <Stack>
      <Title order={2}>Destruction approval</Title>
      {mode.kind === 'protected' && (
        <Alert color="yellow" role="status" title="Approval is impossible in protected mode">
          Destroying records needs two people: one requests the review, another approves it, and the server checks that they are different users. In protected mode (a
          loopback server without sign-in) there are no users, so no one can approve a destruction here. Configure SMART sign-in (SMART_ISSUER, see the README), then have
          a second person sign in and approve the review.
        </Alert>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/destruction/approve?review=${encodeURIComponent(asked.trim())}`);
        }}
      >
        <TextInput
          label="Review (its status URL)"
          description="The link the review's requester sent you"
          value={asked}
          onChange={(e) => setAsked(e.currentTarget.value)}
          rightSectionWidth={90}
          rightSection={
            <Button type="submit" size="compact-sm">
              Open
            </Button>
          }
        />
      </form>
      {url && error && <ErrorMessage error={error} />}
      {url && !error && !review && <Loading label="Loading the review" />}
      {review && (
        <>
          <ReviewList review={review} />
          {mode.kind === 'smart' && !certificates && (
            <Button w="fit-content" color="red" variant="light" disabled={review.records.length === 0 || progress !== undefined} onClick={() => setConfirming(true)}>
              Approve and destroy
            </Button>
          )}
        </>
      )}
      {progress && (
        <Text role="status" size="sm">
          Destroying: {progress}
        </Text>
      )}
      {certificates && (
        <Alert color="green" role="status" title="Destroyed">
          The records are destroyed. Certificate of destruction:{' '}
          {certificates.map((c) => (
            <Code key={c}>{c}</Code>
          ))}
          , shown below and kept with the others under{' '}
          <Anchor component={Link} href="/destruction/certificates" c="inherit" underline="always">
            destruction certificates
          </Anchor>
          .
        </Alert>
      )}
      {certificates?.map((c) => (
        <CertificateView key={c} id={localId(c, 'DocumentReference') ?? c} />
      ))}
      <ActionDialog title="Approve the destruction" opened={confirming} onClose={() => setConfirming(false)} confirm="Destroy the records" act={approve}>
        <Text>
          {review?.records.length ?? 0} records will be destroyed for good, and a certificate made. A record placed on hold or changed since the review drops out.
        </Text>
        {progress && <Text size="sm">Destroying: {progress}</Text>}
      </ActionDialog>
    </Stack>
  );
}
