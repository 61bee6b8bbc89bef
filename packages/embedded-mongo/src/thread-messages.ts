import type { EmbeddedMongo, EmbeddedMongoOptions, RecoveryProgress } from './index';

/** What crosses between the server's thread and the engine's: plain data only (structured clone). */
/** The engine's options as the thread gets them: no callback, but whether to post progress messages. */
export type ThreadOptions = Omit<EmbeddedMongoOptions, 'progress'> & { reportProgress?: { everyMs?: number } };
export type ToEngineThread = { type: 'stop' };
export type FromEngineThread =
  | { type: 'progress'; progress: RecoveryProgress }
  | { type: 'started'; uri: string; listening: EmbeddedMongo['listening']; recovery?: EmbeddedMongo['recovery'] }
  | { type: 'stopped' }
  | { type: 'failed'; error: ThreadError };

export interface ThreadError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export function errorMessage(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}), stack: e.stack };
}

/** An Error in this thread carrying what the engine's thread reported. */
export function toError(reported: ThreadError): Error {
  const err = new Error(reported.message) as NodeJS.ErrnoException;
  err.name = reported.name;
  if (reported.code) err.code = reported.code;
  if (reported.stack) err.stack = reported.stack;
  return err;
}
