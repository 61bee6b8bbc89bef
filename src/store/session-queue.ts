/**
 * Runs a transaction's operations one at a time. The driver marks the first command of a transaction with
 * `startTransaction`; two commands sent concurrently at that moment both carry it and the second is refused
 * (TransactionTooOld), and MongoDB does not support parallel operations in one transaction anyway. Callers that
 * fan out (reference validation checks several references at once) go through this queue inside a transaction.
 */
export class SessionQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
