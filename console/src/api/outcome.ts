import type { OperationOutcome } from 'fhir/r4';

/** An answer of the server that is not a success, with its OperationOutcome turned into sentences. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'The request was not understood',
  401: 'You are not signed in, or your sign-in has expired',
  403: 'You are not allowed to do this',
  404: 'Not found, or not visible to you',
  409: 'Someone changed this at the same time; reload and try again',
  410: 'This record was deleted',
  412: 'This record changed since you opened it; reload and try again',
  422: 'The server refused the data',
  429: 'Too many requests; wait a moment and try again',
  503: 'The server is not ready; try again shortly',
};

function isOutcome(body: unknown): body is OperationOutcome {
  return typeof body === 'object' && body !== null && (body as { resourceType?: unknown }).resourceType === 'OperationOutcome';
}

/** The issues of an OperationOutcome as readable lines ("Error: ..."), else what the status means. */
export function outcomeMessage(status: number, body: unknown): string {
  const lines = isOutcome(body)
    ? body.issue
        .filter((i) => i.severity !== 'information')
        .map((i) => {
          const text = i.details?.text ?? i.diagnostics ?? i.code;
          const where = i.expression?.length ? ` (at ${i.expression.join(', ')})` : '';
          return `${i.severity === 'warning' ? 'Warning: ' : ''}${text}${where}`;
        })
    : [];
  return lines.length ? lines.join('\n') : (STATUS_TEXT[status] ?? `The server answered ${status}`);
}
