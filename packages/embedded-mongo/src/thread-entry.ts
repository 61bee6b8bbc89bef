/**
 * The body of the engine's worker thread: starts the engine with the options it was given, reports where it
 * listens, and stops it (snapshot, journal closed, lock released) when the parent asks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startEmbeddedMongo } from './index';
import { type FromEngineThread, type ThreadOptions, type ToEngineThread, errorMessage } from './thread-messages';

const port = parentPort;
if (!port) throw new Error('thread-entry runs only as a worker thread');
const post = (message: FromEngineThread) => port.postMessage(message);

// Posting works while the thread is busy loading: the server's thread hears of the progress as it is made.
const { reportProgress, ...options } = workerData as ThreadOptions;
startEmbeddedMongo({
  ...options,
  progress: reportProgress && { everyMs: reportProgress.everyMs, onProgress: (p) => post({ type: 'progress', progress: p }) },
}).then(
  (engine) => {
    port.on('message', (message: ToEngineThread) => {
      if (message.type !== 'stop') return;
      engine.stop().then(
        () => post({ type: 'stopped' }),
        (err: unknown) => post({ type: 'failed', error: errorMessage(err) }),
      );
    });
    post({ type: 'started', uri: engine.uri, listening: engine.listening, recovery: engine.recovery });
  },
  (err: unknown) => post({ type: 'failed', error: errorMessage(err) }),
);
