/**
 * The body of the engine's worker thread: starts the engine with the options it was given, reports where it
 * listens, and stops it (snapshot, journal closed, lock released) when the parent asks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startEmbeddedMongo, type EmbeddedMongoOptions } from './index';
import { type FromEngineThread, type ToEngineThread, errorMessage } from './thread-messages';

const port = parentPort;
if (!port) throw new Error('thread-entry runs only as a worker thread');
const post = (message: FromEngineThread) => port.postMessage(message);

startEmbeddedMongo(workerData as EmbeddedMongoOptions).then(
  (engine) => {
    port.on('message', (message: ToEngineThread) => {
      if (message.type !== 'stop') return;
      engine.stop().then(
        () => post({ type: 'stopped' }),
        (err: unknown) => post({ type: 'failed', error: errorMessage(err) }),
      );
    });
    post({ type: 'started', uri: engine.uri, listening: engine.listening });
  },
  (err: unknown) => post({ type: 'failed', error: errorMessage(err) }),
);
