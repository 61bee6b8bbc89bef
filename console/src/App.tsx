import { Badge, Group, NavLink, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { detectMode, type Mode } from './api/session';
import { AuditPage } from './pages/AuditPage';
import { ChartPage } from './pages/chart/ChartPage';
import { DuplicatesPage } from './pages/DuplicatesPage';
import { PatientSearchPage } from './pages/PatientSearchPage';
import { WorklistPage } from './pages/WorklistPage';

const PAGES = [
  { href: '/', label: 'Patients', match: (p: string) => p === '/' || p.startsWith('/patients') },
  { href: '/deficiencies', label: 'Deficiencies', match: (p: string) => p.startsWith('/deficiencies') },
  { href: '/duplicates', label: 'Duplicates', match: (p: string) => p.startsWith('/duplicates') },
  { href: '/audit', label: 'Audit trail', match: (p: string) => p.startsWith('/audit') },
];

function ModeBadge({ mode }: { mode?: Mode }) {
  if (!mode) return null;
  if (mode.kind === 'protected')
    return (
      <Badge color="gray" variant="light" title="A loopback server without sign-in: the console acts with full access, and there are no users">
        Protected mode
      </Badge>
    );
  if (mode.kind === 'smart')
    return (
      <Badge color="orange" variant="light" title="SMART sign-in is not built into the console yet">
        SMART server: sign-in not available yet
      </Badge>
    );
  return (
    <Badge color="red" variant="light">
      {mode.reason}
    </Badge>
  );
}

export function App() {
  const [location] = useLocation();
  const [mode, setMode] = useState<Mode>();
  useEffect(() => {
    void detectMode().then(setMode);
  }, []);
  return (
    <div className="shell">
      <header className="shell-header no-print">
        <Group justify="space-between">
          <Title order={1} size="h3">
            fhirstone records console
          </Title>
          <ModeBadge mode={mode} />
        </Group>
      </header>
      <nav className="shell-nav no-print" aria-label="Pages">
        {PAGES.map((p) => (
          <NavLink key={p.href} component={Link} href={p.href} label={p.label} active={p.match(location)} aria-current={p.match(location) ? 'page' : undefined} />
        ))}
      </nav>
      <main className="shell-main">
        <Switch>
          <Route path="/" component={PatientSearchPage} />
          <Route path="/patients/:id">{(params) => <ChartPage id={params.id} />}</Route>
          <Route path="/deficiencies" component={WorklistPage} />
          <Route path="/duplicates" component={DuplicatesPage} />
          <Route path="/audit" component={AuditPage} />
          <Route>
            <Title order={2}>Page not found</Title>
          </Route>
        </Switch>
      </main>
    </div>
  );
}
