/**
 * A client killed with a transaction open (kill -9 of one of several servers sharing the engine) must not leave
 * the documents that transaction wrote unwritable for the others until the transaction lifetime reaper runs: the
 * engine aborts it once the connection that carried it closes. (MongoDB itself waits for
 * transactionLifetimeLimitSeconds, so this suite runs against the embedded engine only.)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { MongoServerError } from 'mongodb';
import { describeEmbeddedOnly, Harness, openHarness } from '../harness';

describeEmbeddedOnly('a transaction whose client died', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(() => h.close());

  /** Increments the hot document in a transaction of this client; the error code, or 0 when it committed. */
  const incrementInTransaction = async (): Promise<number> => {
    const session = h.client.startSession();
    try {
      session.startTransaction();
      await h.db.collection('hot').updateOne({ _id: 'head' as never }, { $inc: { n: 1 } }, { session });
      await session.commitTransaction();
      return 0;
    } catch (e) {
      await session.abortTransaction().catch(() => undefined);
      return e instanceof MongoServerError ? Number(e.code) : -1;
    } finally {
      await session.endSession();
    }
  };

  it('is aborted when its connection closes, so the documents it wrote can be written again', async () => {
    await h.db.collection('hot').insertOne({ _id: 'head' as never, n: 0 });
    const child = spawn(process.execPath, [path.join(__dirname, '../fixtures/txn-holder.js'), h.uri, h.db.databaseName], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    // While the holder lives, its open transaction owns the document: a WriteConflict, as MongoDB answers.
    expect(await incrementInTransaction()).toBe(112);
    child.kill('SIGKILL');
    await exited;
    // The close reaches the engine asynchronously: a few attempts, far below the 60 s lifetime reaper.
    let code = -1;
    for (let attempt = 0; attempt < 50 && code !== 0; attempt++) {
      code = await incrementInTransaction();
      if (code !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(code).toBe(0);
    expect(await h.db.collection('hot').findOne({ _id: 'head' as never })).toEqual({ _id: 'head', n: 1 });
  });
});
