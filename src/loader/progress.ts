import { SingleBar } from 'cli-progress';

/** What the loader reports as it goes; the CLI shows a bar, tests and the bench pass `silentProgress`. */
export interface Progress {
  start(totalBytes: number): void;
  advance(bytes: number, resources: number): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, advance() {}, stop() {} };

/**
 * A terminal progress bar over the bytes of all inputs (known up front without reading NDJSON files twice), with
 * the resources stored so far and their rate.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const bar = new SingleBar({
    stream,
    format: ' {bar} {percentage}% | {resources} resources | {rate} resources/s | ETA {eta_formatted}',
    hideCursor: true,
    etaBuffer: 50,
    noTTYOutput: true,
    notTTYSchedule: 5000,
  });
  let startedAt = 0;
  let resources = 0;
  const payload = () => ({ resources, rate: Math.round(resources / Math.max((Date.now() - startedAt) / 1000, 0.001)) });
  return {
    start(totalBytes) {
      startedAt = Date.now();
      bar.start(Math.max(totalBytes, 1), 0, payload());
    },
    advance(bytes, stored) {
      resources += stored;
      bar.increment(bytes, payload());
    },
    stop() {
      bar.update(payload());
      bar.stop();
    },
  };
}
