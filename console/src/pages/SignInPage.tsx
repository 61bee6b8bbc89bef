import { Alert, Button, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { Session, SmartServer } from '../auth/session';
import { ErrorMessage, Loading } from '../components/Status';

/** The server needs a signed-in user: sign in at the site's SMART issuer. */
export function SignInPage({ server, notice, returnTo }: { server: SmartServer; notice?: string; returnTo: string }) {
  const [error, setError] = useState<Error>();
  return (
    <Stack maw={560}>
      <Title order={2}>Sign in</Title>
      {notice && (
        <Alert color="yellow" role="status">
          {notice}
        </Alert>
      )}
      <Text>
        This server takes requests from signed-in users only. You sign in at <strong>{new URL(server.issuer).host}</strong>, which tells the console what you may see and
        do.
      </Text>
      {error && <ErrorMessage error={error} title="The sign-in cannot start" />}
      <Button w="fit-content" onClick={() => import('../auth/sign-in').then(({ beginSignIn }) => beginSignIn(server, returnTo)).catch(setError)}>
        Sign in
      </Button>
    </Stack>
  );
}

// The callback is handled once per page load (React may run an effect twice; the code can be used once).
// The OAuth client (oauth4webapi) is its own chunk, loaded only by a sign-in: protected mode never needs it.
let finishing: Promise<{ session: Session; returnTo: string }> | undefined;

/** /console/callback: the issuer sent the user back with a code; exchange it, then go where the user was. */
export function SignInCallback({ server, onSignedIn }: { server: SmartServer; onSignedIn(session: Session, returnTo: string): void }) {
  const [error, setError] = useState<Error>();
  useEffect(() => {
    finishing ??= import('../auth/sign-in').then(({ finishSignIn }) => finishSignIn(server));
    finishing.then(
      ({ session, returnTo }) => onSignedIn(session, returnTo),
      (err: Error) => setError(err),
    );
  }, [server, onSignedIn]);
  if (error) return <ErrorMessage error={error} title="The sign-in failed" />;
  return <Loading label="Signing in" />;
}
