import { constants } from 'node:os';
import type { Logger } from 'pino';

export interface StopSignalOptions {
  logger: Logger;
  /** The clean shutdown: stop listening, finish the audit trail, close the store. */
  close(): Promise<void>;
  exit(code: number): void;
  /** A shutdown still running after this long is abandoned (non-zero exit). */
  deadlineMs?: number;
  /**
   * The same signal again within this window is the same request, not an insistence: npm (`npm start`), systemd
   * and other process managers forward a signal to a process that, being in the signalled group, got it already.
   */
  repeatWindowMs?: number;
  /** Milliseconds on a monotonic clock (a wall clock set back would stretch the repeat window). */
  now?: () => number;
}

export const SHUTDOWN_DEADLINE_MS = 30_000;
export const REPEAT_WINDOW_MS = 500;

/** Exit status of a process ended by `signal`, as a shell reports it (143 for SIGTERM, 130 for SIGINT). */
function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * The handler for SIGINT and SIGTERM. The first signal starts a clean shutdown, bounded by a deadline. Another
 * signal while it runs ends the process at once (an operator insisting, or a shutdown that hangs): any other
 * signal, and the same signal `repeatWindowMs` or more after the first; the same signal less than that after the
 * first (not after the last repeat) is the same request. Ending at once is safe for the store: every acknowledged write is
 * in the journal before its reply, and a record cut short is dropped at the next start.
 */
export function stopOnSignals(opts: StopSignalOptions): (signal: NodeJS.Signals) => void {
  const now = opts.now ?? (() => performance.now());
  const repeatWindow = opts.repeatWindowMs ?? REPEAT_WINDOW_MS;
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  return (signal) => {
    if (first) {
      if (signal === first.signal && now() - first.at < repeatWindow) {
        opts.logger.info({ signal }, 'signal repeated while shutting down (forwarded); the shutdown continues');
        return;
      }
      opts.logger.warn({ signal }, 'second signal while shutting down: exiting at once, without finishing the shutdown');
      opts.exit(signalStatus(signal));
      return;
    }
    first = { signal, at: now() };
    opts.logger.info({ signal }, 'shutting down');
    const deadlineMs = opts.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
    const deadline = setTimeout(() => {
      opts.logger.error({ signal, deadlineMs }, 'shutdown did not finish in time: exiting without finishing it');
      opts.exit(1);
    }, deadlineMs);
    deadline.unref();
    opts.close().then(
      () => {
        clearTimeout(deadline);
        opts.exit(0);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        opts.logger.error({ err }, 'unclean shutdown');
        opts.exit(1);
      },
    );
  };
}
