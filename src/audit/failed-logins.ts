import type { AuditEvent } from 'fhir/r4';
import { addressKey } from '../auth/failure-throttle';
import { int } from '../config';
import type { AuditInput } from './audit-input';
import { untrustedIdentifier } from './untrusted-text';

/**
 * Every failed-authentication event says how many failures it stands for: 1 for the first of its kind, or the
 * count of the same kind between `period.start` and `period.end`.
 */
export const FAILURE_COUNT_URL = 'http://fhirstone.org/fhir/StructureDefinition/audit-failure-count';

export interface FailedLoginOptions {
  /** How long repeated failures of one kind are counted before they are written as one event (default 60 s). */
  windowMs?: number;
  /** Kinds counted at once; failures of further kinds share one overflow count (default 2,000). */
  maxKinds?: number;
}

interface Window {
  /** The event of the window's first failure, which describes all of them (a built event is bounded). */
  sample: AuditEvent;
  opened: number;
  /** Failures counted since the window opened (the first of a kind is written at once, not counted here). */
  count: number;
  first?: Date;
  last?: Date;
  /** Its count was written before the window's end (`writePending`): once per window, whatever the callers do. */
  writtenEarly?: boolean;
}

/** AUDIT_FAILED_LOGIN_WINDOW_SECONDS (1-3600, default 60): how long failed logins of one kind are counted. */
export function failedLoginOptionsFromEnv(env: Record<string, string | undefined>): FailedLoginOptions {
  return { windowMs: int(env, 'AUDIT_FAILED_LOGIN_WINDOW_SECONDS', 60, 1, 3600) * 1000 };
}

const OVERFLOW = '\u0000overflow';

/** Failed authentication: a refused token request or a FHIR request refused for want of a valid token (4xx). */
export function isFailedLogin(input: AuditInput): boolean {
  return (input.interaction === 'token' || input.interaction === 'authenticate') && input.status >= 400 && input.status < 500;
}

/**
 * Aggregates failed logins, which anyone can cause at any rate and which cost about 3 KB of audit each. Failures are
 * of one kind when interaction, status, claimed client id and network address (an IPv6 one by its /64) match. The
 * first failure of a kind is written at once; the following ones within `windowMs` are counted, and written as one
 * event with the count when the window closes (the window then stays open while failures keep coming), or on
 * `closeAll` (shutdown). `$verify-chain` writes the counts so far through `writePending`, which leaves the windows
 * running and writes a kind's count early at most once per window: whoever may call it as often as they like, a
 * kind costs at most three events per window (its first failure, one early count, the window's end). Memory is bounded: at most `maxKinds` windows, each holding one bounded sample, plus one
 * overflow window for every other kind.
 *
 * Counted failures are the one exception to the rule that an event is queued when its request completes: until
 * their window closes they exist only as a count in memory, so a crash loses at most one window of counts.
 */
export class FailedLogins {
  /** Open windows in the order they opened (a window that rolls over is re-inserted), so the first closes first. */
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;
  private readonly windowMs: number;
  private readonly maxKinds: number;

  constructor(
    private readonly build: (input: AuditInput) => AuditEvent,
    private readonly write: (event: AuditEvent) => void,
    options: FailedLoginOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKinds = options.maxKinds ?? 2_000;
  }

  /** Failure kinds counted now. */
  get openWindows(): number {
    return this.windows.size;
  }

  add(input: AuditInput): void {
    const at = input.recorded ?? new Date();
    let key = kindOf(input);
    if (!this.windows.has(key) && this.windows.size >= this.maxKinds) key = OVERFLOW;
    const open = this.windows.get(key);
    if (open) {
      open.count++;
      open.first ??= at;
      open.last = at;
      return;
    }
    const base = key === OVERFLOW ? overflowInput(input, this.maxKinds) : input;
    const first = this.build(base);
    // The count events stand for many requests: they name none of their X-Request-Ids (the first event does).
    const sample = base.requestId === undefined ? first : this.build({ ...base, requestId: undefined });
    this.windows.set(key, { sample, opened: Date.now(), count: 0 });
    this.write(tallied(first, 1, at, at, false));
    this.schedule();
  }

  /** Failures counted and not written yet. */
  get pending(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.count;
    return n;
  }

  /**
   * Writes the counts still open, except those already written early in their window, and leaves every window and
   * its end where they were: the failures that follow are counted into the window's end event.
   */
  writePending(): void {
    for (const w of this.windows.values()) {
      if (w.writtenEarly || w.count === 0) continue;
      this.writeCount(w);
      Object.assign(w, { count: 0, first: undefined, last: undefined, writtenEarly: true });
    }
  }

  /** Writes every pending count now and forgets all windows. */
  closeAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.windows.values()) this.writeCount(w);
    this.windows.clear();
  }

  private writeCount(w: Window): void {
    if (w.count > 0) this.write(tallied(w.sample, w.count, w.first!, w.last!, true));
  }

  private schedule(): void {
    if (this.timer) return;
    const oldest = this.windows.values().next().value as Window | undefined;
    if (!oldest) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.closeDue();
      },
      Math.max(0, oldest.opened + this.windowMs - Date.now()),
    );
    this.timer.unref();
  }

  /** Closes the windows whose time is up: a window with failures is written and opens again, an idle one ends. */
  private closeDue(): void {
    const now = Date.now();
    for (const [key, w] of [...this.windows]) {
      if (w.opened + this.windowMs > now) break;
      this.windows.delete(key);
      if (w.count === 0) continue;
      this.writeCount(w);
      this.windows.set(key, { sample: w.sample, opened: now, count: 0 });
    }
    this.schedule();
  }
}

function kindOf(input: AuditInput): string {
  // The claimed client id is bounded here too: a key must not hold a 64 KB iss.
  const client = input.clientId === undefined ? '' : untrustedIdentifier(input.clientId);
  // Addresses as the throttle counts them: an IPv6 host controls its /64, and rotating inside it must not make
  // each failure a new kind written at once.
  const address = input.remoteAddress === undefined ? '' : (addressKey(input.remoteAddress) ?? 'loopback');
  return [input.interaction, input.status, client, address].join('\n');
}

function overflowInput(input: AuditInput, maxKinds: number): AuditInput {
  return {
    interaction: input.interaction,
    status: input.status,
    recorded: input.recorded,
    outcomeDescription: `failed authentications of more than ${maxKinds} clients or addresses at once, counted together`,
  };
}

/** The sample event standing for `count` failures from `first` to `last` (`counted`: in a window, recorded now). */
function tallied(sample: AuditEvent, count: number, first: Date, last: Date, counted: boolean): AuditEvent {
  const event: AuditEvent = {
    ...sample,
    period: { start: first.toISOString(), end: last.toISOString() },
    extension: [...(sample.extension ?? []), { url: FAILURE_COUNT_URL, valueInteger: count }],
  };
  if (counted) {
    event.recorded = new Date().toISOString();
    event.outcomeDesc = `${count} more failures of the kind written at ${sample.recorded}: ${sample.outcomeDesc ?? ''}`;
  }
  return event;
}
