/**
 * The embedded engine on a worker thread of its own. The server's thread then spends no time executing queries,
 * maintaining indexes or writing the journal: on a machine with a second core those run beside the HTTP and
 * FHIR work instead of taking turns with it. The application still reaches the engine only through the driver
 * over the engine's socket, exactly as when the engine runs on the main thread or a real MongoDB serves it.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EmbeddedMongo, EmbeddedMongoOptions } from './index';
import { type FromEngineThread, type ThreadOptions, toError } from './thread-messages';

export interface EngineThreadEvents {
  /** The thread died while the engine was meant to run (an uncaught error in the engine, or it was killed). */
  onUnexpectedExit?: (err: Error) => void;
}

/** Starts the engine on a worker thread; resolves once it listens, rejects with the engine's own start error. */
export async function startEmbeddedMongoThread(opts: EmbeddedMongoOptions = {}, events: EngineThreadEvents = {}): Promise<EmbeddedMongo> {
  const worker = spawn(opts);
  let stopping: Promise<void> | undefined;
  const exit = new Promise<number>((resolve) => worker.once('exit', resolve));
  let lastError: Error | undefined;
  worker.on('error', (err) => (lastError = err));

  let started: Extract<FromEngineThread, { type: 'started' }>;
  try {
    started = await new Promise((resolve, reject) => {
      worker.on('message', (m: FromEngineThread) => {
        if (m.type === 'progress') opts.progress?.onProgress(m.progress);
        else if (m.type === 'started') resolve(m);
        else if (m.type === 'failed') reject(toError(m.error));
      });
      void exit.then((code) => reject(lastError ?? new Error(`the engine thread exited with code ${code} before the engine started`)));
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  worker.removeAllListeners('message');
  void exit.then((code) => {
    if (!stopping) events.onUnexpectedExit?.(lastError ?? new Error(`the engine thread exited with code ${code}`));
  });

  return {
    uri: started.uri,
    listening: started.listening,
    recovery: started.recovery,
    stop() {
      stopping ??= new Promise<void>((resolve, reject) => {
        worker.on('message', (m: FromEngineThread) => {
          if (m.type === 'stopped') void worker.terminate().then(() => resolve());
          else if (m.type === 'failed') void worker.terminate().then(() => reject(toError(m.error)));
        });
        // A thread that has died, before or while stopping, has nothing left to stop (posting to it does nothing).
        void exit.then(() => resolve());
        worker.postMessage({ type: 'stop' });
      });
      return stopping;
    },
  };
}

function spawn({ progress, ...options }: EmbeddedMongoOptions): Worker {
  // Functions cannot cross to the thread: it posts progress messages instead, and is told whether to.
  const opts: ThreadOptions = { ...options, reportProgress: progress && { everyMs: progress.everyMs } };
  const fromSource = path.extname(__filename) === '.ts';
  const entry = path.join(__dirname, `thread-entry${fromSource ? '.ts' : '.js'}`);
  if (!fromSource) return new Worker(entry, { workerData: opts });
  // Running from the TypeScript source (the tests): the thread compiles the engine's modules with swc as it loads them.
  const register = require.resolve('@swc-node/register');
  return new Worker(`require(${JSON.stringify(register)}); require(${JSON.stringify(entry)});`, { eval: true, workerData: opts });
}
