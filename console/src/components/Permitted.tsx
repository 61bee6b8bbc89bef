import { Alert } from '@mantine/core';
import { currentSession } from '../auth/session';
import { type Permission, scopeAllows } from '../auth/scopes';

const WORDS: Record<Permission, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

/** Whether the signed-in user's token allows this on the type; protected mode (no session) allows everything. */
export function allows(type: string, needs: readonly Permission[]): boolean {
  const session = currentSession();
  return !session || scopeAllows(session.scope, type, needs);
}

/**
 * The page (or part) when the user's token allows what it needs, else a "not allowed" notice naming what is
 * missing, instead of a request the server would refuse.
 */
export function Permitted({ type, needs, what, children }: { type: string; needs: readonly Permission[]; what: string; children: React.ReactNode }) {
  if (allows(type, needs)) return <>{children}</>;
  return (
    <Alert color="yellow" title="Not allowed" role="status">
      Your sign-in does not allow {what}: it needs {needs.map((p) => WORDS[p]).join(' and ')} on {type}, which your access token does not grant. Ask the administrator of
      your sign-in for access.
    </Alert>
  );
}
