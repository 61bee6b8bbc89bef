import type { AuditEvent } from 'fhir/r4';
import type { AuditInput } from '../../src/audit/audit-input';
import { AuditTrail } from '../../src/audit/audit-trail';
import { FAILURE_COUNT_URL, FailedLogins } from '../../src/audit/failed-logins';
import type { StoredDocument } from '../../src/store/stored-document';
import { openTestDatabase } from './database';

const failure = (remoteAddress = '10.0.0.1', clientId?: string): AuditInput => ({
  interaction: clientId ? 'token' : 'authenticate',
  status: 401,
  remoteAddress,
  clientId,
  outcomeDescription: 'signature verification failed',
});
const countOf = (e: AuditEvent) => e.extension?.find((x) => x.url === FAILURE_COUNT_URL)?.valueInteger;
const total = (events: AuditEvent[]) => events.reduce((n, e) => n + (countOf(e) ?? 0), 0);

describe('FailedLogins', () => {
  const WINDOW = 60_000;
  let written: AuditEvent[];
  let logins: FailedLogins;
  const build = (input: AuditInput): AuditEvent => ({
    resourceType: 'AuditEvent',
    type: { code: input.interaction },
    recorded: new Date().toISOString(),
    agent: [{ requestor: true, who: { display: `${input.clientId ?? ''}@${input.remoteAddress ?? '*'}` } }],
    source: { observer: { display: 'test' } },
    outcomeDesc: input.outcomeDescription,
  });

  beforeEach(() => {
    jest.useFakeTimers();
    written = [];
    logins = new FailedLogins(build, (e) => written.push(e), { windowMs: WINDOW, maxKinds: 3 });
  });
  afterEach(() => {
    logins.closeAll();
    jest.useRealTimers();
  });

  it('writes the first failure of a kind at once, and the rest of its window as one event with their count', () => {
    for (let i = 0; i < 50; i++) logins.add(failure());
    expect(written.map(countOf)).toEqual([1]);
    jest.advanceTimersByTime(WINDOW);
    expect(written.map(countOf)).toEqual([1, 49]);
    expect(written[1].outcomeDesc).toMatch(/^49 more failures of the kind written at .*: signature verification failed$/);
    expect(written[1].period?.start).toBeDefined();
  });

  it('writes one event per window while failures continue, and writes the next failure at once after an idle window', () => {
    logins.add(failure());
    for (let w = 0; w < 3; w++) {
      for (let i = 0; i < 10; i++) logins.add(failure());
      jest.advanceTimersByTime(WINDOW);
    }
    expect(written.map(countOf)).toEqual([1, 10, 10, 10]);
    jest.advanceTimersByTime(WINDOW); // a window without failures closes the kind
    expect(logins.openWindows).toBe(0);
    logins.add(failure());
    expect(written.map(countOf)).toEqual([1, 10, 10, 10, 1]);
  });

  it('counts each client id and network address apart', () => {
    for (const input of [failure('10.0.0.1'), failure('10.0.0.2'), failure('10.0.0.1', 'app'), failure('10.0.0.1')]) logins.add(input);
    expect(written.map(countOf)).toEqual([1, 1, 1]);
    logins.closeAll();
    expect(written.map(countOf)).toEqual([1, 1, 1, 1]);
  });

  it('writes pending counts early at most once per window, so verify calls cannot multiply the events of a kind', () => {
    logins.add(failure());
    for (let i = 0; i < 20; i++) {
      logins.add(failure());
      logins.writePending();
    }
    expect(written.map(countOf)).toEqual([1, 1]);
    expect(logins.pending).toBe(19);
    jest.advanceTimersByTime(WINDOW);
    expect(written.map(countOf)).toEqual([1, 1, 19]);
    // The window rolled over and is one window again: one more early write in it, then its end.
    for (let i = 0; i < 5; i++) {
      logins.add(failure());
      logins.writePending();
    }
    jest.advanceTimersByTime(WINDOW);
    expect(written.map(countOf)).toEqual([1, 1, 19, 1, 4]);
    expect(logins.pending).toBe(0);
  });

  it('keeps the window running when pending counts are written early', () => {
    logins.add(failure());
    for (let i = 0; i < 3; i++) logins.add(failure());
    logins.writePending();
    jest.advanceTimersByTime(WINDOW / 2);
    logins.add(failure());
    expect(written.map(countOf)).toEqual([1, 3]);
    jest.advanceTimersByTime(WINDOW / 2);
    expect(written.map(countOf)).toEqual([1, 3, 1]);
  });

  it('holds at most maxKinds windows, counting failures of any further kind together', () => {
    for (let i = 0; i < 100; i++) logins.add(failure(`10.0.1.${i}`));
    expect(logins.openWindows).toBe(4);
    expect(written).toHaveLength(4);
    expect(written[3].outcomeDesc).toMatch(/more than 3 clients or addresses/);
    logins.closeAll();
    expect(total(written)).toBe(100);
    expect(logins.openWindows).toBe(0);
  });
});

describe('AuditTrail and failed logins', () => {
  it('lets repeated $verify-chain calls write at most one early count per kind and window, and says what is pending', async () => {
    const t = await openTestDatabase();
    try {
      const trail = new AuditTrail(t.db, { sourceName: 'test', baseUrl: 'http://127.0.0.1/fhir', onError: () => undefined });
      const pending: unknown[] = [];
      for (let i = 0; i < 10; i++) {
        trail.record(failure());
        trail.record(failure());
        const report = await trail.verifyChain();
        pending.push(report.parameter?.find((p) => p.name === 'failedLoginsPending')?.valueInteger);
      }
      expect(pending).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      await trail.close();
      const stored = await t.db.collection<StoredDocument>('AuditEvent').find().sort({ _id: 1 }).toArray();
      const events = stored.map((d) => JSON.parse(d.r) as AuditEvent);
      expect(events.map(countOf)).toEqual([1, 1, 18]);
    } finally {
      await t.close();
    }
  });

  it('writes 50 failed logins from one address as two events whose counts sum to 50 by shutdown', async () => {
    const t = await openTestDatabase();
    try {
      const trail = new AuditTrail(t.db, { sourceName: 'test', baseUrl: 'http://127.0.0.1/fhir', onError: () => undefined });
      for (let i = 0; i < 50; i++) trail.record(failure());
      trail.record({ interaction: 'read', resourceType: 'Patient', id: 'p1', status: 200 });
      await trail.close();
      const stored = await t.db.collection<StoredDocument>('AuditEvent').find().sort({ _id: 1 }).toArray();
      const events = stored.map((d) => JSON.parse(d.r) as AuditEvent);
      const failures = events.filter((e) => e.outcome === '4');
      expect(failures.map(countOf)).toEqual([1, 49]);
      expect(events).toHaveLength(3);
    } finally {
      await t.close();
    }
  });
});
