import pino from 'pino';
import { stopOnSignals } from '../src/shutdown';

/** A handler whose clean shutdown stays pending until `finish` is called; the clock is set by hand. */
function harness(deadlineMs = 60_000, clock: 'manual' | 'default' = 'manual') {
  const exits: number[] = [];
  const lines: Array<{ msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  let finish!: (err?: Error) => void;
  const closing = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
  let time = 1_000;
  const onSignal = stopOnSignals({ logger, close: () => closing, exit: (code) => void exits.push(code), deadlineMs, now: clock === 'manual' ? () => time : undefined });
  return { onSignal, exits, lines, finish, advance: (ms: number) => (time += ms) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('stop signals', () => {
  it('exits 0 once the clean shutdown has finished', async () => {
    const h = harness();
    h.onSignal('SIGTERM');
    await settle();
    expect(h.exits).toEqual([]);
    h.finish();
    await settle();
    expect(h.exits).toEqual([0]);
  });

  it('exits at once with 128+signal and a log line when a second signal comes while shutting down', async () => {
    const h = harness();
    h.onSignal('SIGTERM');
    h.advance(2_000);
    h.onSignal('SIGTERM');
    expect(h.exits).toEqual([143]);
    expect(h.lines.map((l) => l.msg)).toContain('second signal while shutting down: exiting at once, without finishing the shutdown');
  });

  it('exits at once on a different signal, however soon it comes', () => {
    const h = harness();
    h.onSignal('SIGTERM');
    h.onSignal('SIGINT');
    expect(h.exits).toEqual([130]);
  });

  it('takes the same signal repeated at once (forwarded by npm or a process manager) as the same request', async () => {
    const h = harness();
    h.onSignal('SIGINT');
    h.advance(5);
    h.onSignal('SIGINT');
    expect(h.exits).toEqual([]);
    h.finish();
    await settle();
    expect(h.exits).toEqual([0]);
  });

  it('takes the same signal as the first request for less than 500 ms after the first, not after the last repeat', () => {
    const h = harness();
    h.onSignal('SIGTERM');
    h.advance(300);
    h.onSignal('SIGTERM');
    h.advance(199);
    h.onSignal('SIGTERM');
    expect(h.exits).toEqual([]);
    h.advance(1);
    h.onSignal('SIGTERM');
    expect(h.exits).toEqual([143]);
  });

  it('exits 1 when the shutdown fails', async () => {
    const h = harness();
    h.onSignal('SIGTERM');
    h.finish(new Error('store unreachable'));
    await settle();
    expect(h.exits).toEqual([1]);
  });

  describe('with the deadline on a fake clock', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('exits 1 with a log line when the shutdown does not finish before its deadline', () => {
      const h = harness(20);
      h.onSignal('SIGTERM');
      jest.advanceTimersByTime(19);
      expect(h.exits).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(h.exits).toEqual([1]);
      expect(h.lines.map((l) => l.msg)).toContain('shutdown did not finish in time: exiting without finishing it');
    });

    it('measures the repeat window on a monotonic clock: a wall clock set back does not stretch it', () => {
      const h = harness(60_000, 'default');
      h.onSignal('SIGTERM');
      jest.setSystemTime(Date.now() - 3_600_000);
      jest.advanceTimersByTime(1_000);
      h.onSignal('SIGTERM');
      expect(h.exits).toEqual([143]);
    });
  });
});
