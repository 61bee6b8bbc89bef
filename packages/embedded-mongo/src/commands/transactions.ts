/** commitTransaction / abortTransaction (sent to admin with the session's lsid and txnNumber). */
import { CommandError, noSuchTransaction } from '../errors';
import { Handler } from './context';

export const commitTransaction: Handler = async (cmd, ctx) => {
  const txnNumber = Number(cmd.txnNumber);
  const txn = ctx.sessions.transaction(ctx.sessionKey, txnNumber);
  if (!txn || txn.state === 'aborted') throw noSuchTransaction(txnNumber);
  // A retried commit of a committed transaction succeeds again (the driver retries commits).
  if (txn.state === 'committed') return { ok: 1 };
  await ctx.engine.commit(txn);
  return { ok: 1 };
};

export const abortTransaction: Handler = (cmd, ctx) => {
  const txnNumber = Number(cmd.txnNumber);
  const txn = ctx.sessions.transaction(ctx.sessionKey, txnNumber);
  if (!txn || txn.state === 'aborted') throw noSuchTransaction(txnNumber);
  if (txn.state === 'committed') throw new CommandError(256, 'TransactionCommitted', 'Transaction has been committed');
  ctx.engine.abort(txn);
  return { ok: 1 };
};
