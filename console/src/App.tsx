import { Badge, Button, Group, NavLink, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { Link, Route, Switch, useLocation, useSearch } from 'wouter';
import { Permitted } from './components/Permitted';
import { ModeContext } from './auth/mode-context';
import type { Permission } from './auth/scopes';
import { currentSession, detectMode, endSession, type Mode, type Session } from './auth/session';
import { AuditPage } from './pages/AuditPage';
import { ChartPage } from './pages/chart/ChartPage';
import { CertificatePage, CertificatesPage } from './pages/destruction/CertificatesPage';
import { DestructionApprovalPage } from './pages/destruction/DestructionApprovalPage';
import { DestructionReviewPage } from './pages/destruction/DestructionReviewPage';
import { DuplicatesPage } from './pages/DuplicatesPage';
import { OperationsPage } from './pages/OperationsPage';
import { PatientSearchPage } from './pages/PatientSearchPage';
import { SignInCallback, SignInPage } from './pages/SignInPage';
import { WorklistPage } from './pages/WorklistPage';

const PAGES = [
  { href: '/', label: 'Patients', match: (p: string) => p === '/' || p.startsWith('/patients') },
  { href: '/deficiencies', label: 'Deficiencies', match: (p: string) => p.startsWith('/deficiencies') },
  { href: '/duplicates', label: 'Duplicates', match: (p: string) => p.startsWith('/duplicates') },
  { href: '/audit', label: 'Audit trail', match: (p: string) => p.startsWith('/audit') },
  { href: '/destruction', label: 'Destruction review', match: (p: string) => p === '/destruction' },
  { href: '/destruction/approve', label: 'Destruction approval', match: (p: string) => p.startsWith('/destruction/approve') },
  { href: '/destruction/certificates', label: 'Destruction certificates', match: (p: string) => p.startsWith('/destruction/certificates') },
  { href: '/operations', label: 'Operations', match: (p: string) => p.startsWith('/operations') },
];

/** Each page, and what the user's token must allow for it (checked before the page asks the server). */
const ROUTES: Array<{ path: string; type?: string; needs?: Permission[]; what: string; page(params: Record<string, string | undefined>): React.ReactNode }> = [
  { path: '/', type: 'Patient', needs: ['s'], what: 'finding patients', page: () => <PatientSearchPage /> },
  { path: '/patients/:id', type: 'Patient', needs: ['r'], what: 'reading charts', page: (p) => <ChartPage id={p.id ?? ''} /> },
  { path: '/deficiencies', type: 'Task', needs: ['s'], what: 'the deficiency worklist', page: () => <WorklistPage /> },
  { path: '/duplicates', type: 'Patient', needs: ['s', 'u'], what: 'resolving duplicates', page: () => <DuplicatesPage /> },
  { path: '/audit', type: 'AuditEvent', needs: ['s'], what: 'reading the audit trail', page: () => <AuditPage /> },
  { path: '/destruction', type: 'Patient', needs: ['r', 's'], what: 'reviewing records for destruction', page: () => <DestructionReviewPage /> },
  { path: '/operations', what: 'the operations page', page: () => <OperationsPage /> },
  { path: '/destruction/certificates', type: 'DocumentReference', needs: ['s'], what: 'certificates of destruction', page: () => <CertificatesPage /> },
  {
    path: '/destruction/certificates/:id',
    type: 'DocumentReference',
    needs: ['r'],
    what: 'certificates of destruction',
    page: (p) => <CertificatePage id={p.id ?? ''} />,
  },
  { path: '/destruction/approve', type: 'Patient', needs: ['r', 's', 'u', 'd'], what: 'approving a destruction', page: () => <DestructionApprovalPage /> },
];

function ModeBadge({ mode, session }: { mode?: Mode; session?: Session }) {
  if (!mode) return null;
  if (mode.kind === 'protected')
    return (
      <Badge color="gray" variant="light" title="A loopback server without sign-in: the console acts with full access, and there are no users">
        Protected mode
      </Badge>
    );
  if (mode.kind === 'smart')
    return session ? (
      <Group gap="xs">
        <Badge color="blue" variant="light" title={`Granted: ${session.scope}`}>
          Signed in as {session.user ?? 'a user'}
        </Badge>
        <Button size="compact-sm" variant="default" onClick={() => endSession('You signed out.')}>
          Sign out
        </Button>
      </Group>
    ) : null;
  return (
    <Badge color="red" variant="light">
      {mode.reason}
    </Badge>
  );
}

export function App() {
  const [location, navigate] = useLocation();
  // Where the user was when asked to sign in (an approval link's review included), to go back there after.
  const search = useSearch();
  const [mode, setMode] = useState<Mode>();
  const [session, setSession] = useState(currentSession);
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    void detectMode().then(setMode);
    const signedOut = (e: Event) => {
      setSession(undefined);
      setNotice((e as CustomEvent<string | undefined>).detail);
    };
    window.addEventListener('fhirstone:signed-out', signedOut);
    return () => window.removeEventListener('fhirstone:signed-out', signedOut);
  }, []);
  const signedIn = useCallback(
    (s: Session, returnTo: string) => {
      setSession(s);
      setNotice(undefined);
      navigate(returnTo, { replace: true });
    },
    [navigate],
  );
  // Pages call the API only once it is known how: directly (protected mode) or with a signed-in user's token.
  const signIn = mode?.kind === 'smart' && !session ? mode.server : undefined;
  const ready = mode !== undefined && !signIn;
  return (
    <div className="shell">
      <header className="shell-header no-print">
        <Group justify="space-between">
          <Title order={1} size="h3">
            fhirstone records console
          </Title>
          <ModeBadge mode={mode} session={session} />
        </Group>
      </header>
      <nav className="shell-nav no-print" aria-label="Pages">
        {ready &&
          PAGES.map((p) => (
            <NavLink key={p.href} component={Link} href={p.href} label={p.label} active={p.match(location)} aria-current={p.match(location) ? 'page' : undefined} />
          ))}
      </nav>
      <main className="shell-main">
        {signIn &&
          (location === '/callback' ? (
            <SignInCallback server={signIn} onSignedIn={signedIn} />
          ) : (
            <SignInPage server={signIn} notice={notice} returnTo={search ? `${location}?${search}` : location} />
          ))}
        {ready && (
          <ModeContext.Provider value={mode}>
            <Switch>
              {ROUTES.map((r) => (
                <Route key={r.path} path={r.path}>
                  {(params: Record<string, string | undefined>) =>
                    r.type ? (
                      <Permitted type={r.type} needs={r.needs ?? []} what={r.what}>
                        {r.page(params)}
                      </Permitted>
                    ) : (
                      r.page(params)
                    )
                  }
                </Route>
              ))}
              <Route>
                <Title order={2}>Page not found</Title>
              </Route>
            </Switch>
          </ModeContext.Provider>
        )}
      </main>
    </div>
  );
}
