import { useCallback, useEffect, useState } from 'react';
import { fhir } from './fhir';

/** What a promise settled to: its data, or the error it failed with; neither while it runs. */
export interface Settled<T> {
  data?: T;
  error?: Error;
}

export interface Loaded<T> extends Settled<T> {
  loading: boolean;
  reload(): void;
}

/** Reads `path` from the API whenever it changes (null: nothing to read yet). */
export function useFhir<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: path !== null });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === null) return;
    setState((s) => ({ data: s.data, loading: true }));
    return settle(fhir<T>(path), (settled) => setState({ ...settled, loading: false }));
  }, [path, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

/**
 * Hands what `promise` settles to, `{ data }` or `{ error }`, to an effect's state unless the effect was cleaned up
 * first (its inputs changed, or the component left): the effect returns the clean-up this returns, which drops a late
 * answer.
 */
export function settle<T>(promise: Promise<T>, set: (settled: Settled<T>) => void): () => void {
  let live = true;
  promise.then(
    (data) => live && set({ data }),
    (error: Error) => live && set({ error }),
  );
  return () => {
    live = false;
  };
}
