/** A command failure carried back to the driver as `{ok: 0, errmsg, code, codeName, errorLabels?, ...extra}`. */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly labels: string[] = [],
  ) {
    super(message);
  }

  toReply(): Record<string, unknown> {
    const reply: Record<string, unknown> = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
    if (this.labels.length > 0) reply.errorLabels = this.labels;
    return reply;
  }
}

export const badValue = (msg: string) => new CommandError(2, 'BadValue', msg);
export const failedToParse = (msg: string) => new CommandError(9, 'FailedToParse', msg);
export const typeMismatch = (msg: string) => new CommandError(14, 'TypeMismatch', msg);
export const invalidOptions = (msg: string) => new CommandError(72, 'InvalidOptions', msg);
export const namespaceNotFound = (msg: string) => new CommandError(26, 'NamespaceNotFound', msg);
export const namespaceExists = (msg: string) => new CommandError(48, 'NamespaceExists', msg);
export const immutableField = (msg: string) => new CommandError(66, 'ImmutableField', msg);
export const indexNotFound = (msg: string) => new CommandError(27, 'IndexNotFound', msg);
export const cannotIndexParallelArrays = (msg: string) => new CommandError(171, 'CannotIndexParallelArrays', msg);

export const TRANSIENT = 'TransientTransactionError';

export const writeConflict = () =>
  new CommandError(
    112,
    'WriteConflict',
    'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
    {},
    [TRANSIENT],
  );

export const noSuchTransaction = (txnNumber: number) =>
  new CommandError(251, 'NoSuchTransaction', `Transaction with { txnNumber: ${txnNumber} } has been aborted.`, {}, [TRANSIENT]);

export function duplicateKey(ns: string, indexName: string, keyPattern: Record<string, unknown>, keyValue: Record<string, unknown>) {
  const shown = Object.entries(keyValue)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
  return new CommandError(11000, 'DuplicateKey', `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: { ${shown} }`, {
    keyPattern,
    keyValue,
  });
}
