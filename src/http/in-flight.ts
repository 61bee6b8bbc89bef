import type { NextFunction, Request, Response } from 'express';

/**
 * The requests a server is answering, for a clean shutdown. Once `closing`, every answer says `Connection: close`,
 * so a keep-alive client stops sending on its connection (Node keeps serving requests on an open keep-alive
 * connection after `server.close()`, and would go on until the grace period ran out). `idle()` resolves when the
 * last request in flight has finished all its work, its AuditEvent stored before its answer included, so the
 * services (the audit trail first) are stopped only after that.
 */
export class InFlight {
  private count = 0;
  private closingNow = false;
  private waiters: Array<() => void> = [];

  get closing(): boolean {
    return this.closingNow;
  }

  close(): void {
    this.closingNow = true;
  }

  enter(): void {
    this.count++;
  }

  leave(): void {
    this.count--;
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once no request is in flight, or after `timeoutMs` (a handler that never ends cannot hold a stop). */
  idle(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Middleware: `Connection: close` on every answer once the server is closing. */
  connectionClose() {
    return (_req: Request, res: Response, next: NextFunction): void => {
      if (this.closingNow) res.setHeader('Connection', 'close');
      next();
    };
  }
}
