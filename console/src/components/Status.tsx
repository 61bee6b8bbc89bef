import { Alert, Center, Loader } from '@mantine/core';
import type { Loaded } from '../api/use-fhir';

/** A failure as a readable message (the OperationOutcome's sentences), announced to screen readers. */
export function ErrorMessage({ error, title = 'The server refused' }: { error: Error; title?: string }) {
  return (
    <Alert color="red" title={title} role="alert" className="pre-line">
      {error.message}
    </Alert>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <Center p="md" role="status" aria-label={label}>
      <Loader size="sm" />
    </Center>
  );
}

/** Loading, a failure, or the content once the data is there. */
export function Async<T>({ state, label, children }: { state: Loaded<T>; label: string; children: (data: T) => React.ReactNode }) {
  if (state.error) return <ErrorMessage error={state.error} />;
  if (state.data === undefined) return <Loading label={label} />;
  return <>{children(state.data)}</>;
}
