import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { type ClientSession, type Db, MongoClient } from 'mongodb';
import { type EmbeddedMongoOptions, startEmbeddedMongoThread } from '@fhirstone/embedded-mongo';

/**
 * Baselines the bench measures the FHIR server against, each run in its own process like the server.
 *
 * For read by id, each answers every request with the response the FHIR server sent (same body, same headers):
 * - `node`: a bare node:http server with the response in memory, the ceiling the read goal is measured against;
 * - `express`: Express 5 (x-powered-by and etag off, as in the FHIR app; one route, no middleware) with the response in
 *   memory: what the chosen HTTP framework costs before any FHIR work;
 * - `express-find`: the same, plus one `findOne` by `_id` through the official driver against an in-memory embedded
 *   engine on its own thread, as the server's store is: the storage path's cost, still without any FHIR work
 *   (no access policy, no audit event, no logging).
 *
 * For the CRUD mix, `express-crud` sends the write transactions the FHIR server sends for each interaction, with the
 * same read and write concerns, to an embedded engine persisting as the server's does (journal, fsync 'batch'):
 * create inserts the current and the history version; update and delete read the current one, replace it and
 * insert the history version; read finds the current one. That is all it does. The FHIR server also reads the
 * referenced Patient when it validates an Encounter or Condition, writes an AuditEvent per request (in batches),
 * stores larger documents (search index values beside the resource) in collections with search indexes, and
 * validates, logs and applies an access policy. So the figures are a ceiling for these commands on this machine,
 * one the FHIR server cannot pass.
 *
 * Usage: node baseline-server.js <node|express|express-find> <port> <response.json: {headers, body}>
 *        node baseline-server.js express-crud <port>
 */
const KINDS = ['node', 'express', 'express-find', 'express-crud'] as const;
type Kind = (typeof KINDS)[number];

interface Response {
  headers: Record<string, string>;
  body: string;
}

async function listen(kind: Kind, port: number, { headers, body }: Response): Promise<void> {
  const payload = Buffer.from(body);
  if (kind === 'express-crud') return listenCrud(port);
  if (kind === 'node') {
    createServer((req, res) => {
      req.resume();
      res.writeHead(200, { ...headers, 'content-length': payload.length });
      res.end(payload);
    })
      .listen(port, '127.0.0.1', ready)
      .once('error', (err) => ready(err));
    return;
  }
  // As the FHIR app's `send` writes a response.
  const answer = (res: express.Response, text: string | Buffer) => {
    res.status(200);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.end(text);
  };
  const app = expressApp();
  if (kind === 'express') {
    app.get('/*path', (_req, res) => answer(res, payload));
  } else {
    const client = await engineClient({});
    const stored = client.db('baseline').collection<{ _id: string; text: string }>('Patient');
    await stored.insertOne({ _id: 'read', text: body });
    app.get(
      '/*path',
      tracked(async (_req, res) => {
        const doc = await stored.findOne({ _id: 'read' });
        answer(res, doc!.text);
      }),
    );
  }
  app.listen(port, '127.0.0.1', ready);
}

const cleanups: Array<() => unknown> = [];
let inFlight = 0;

/**
 * A handler counted while it runs. The load generator drops its connections when its time is up, but the handlers
 * of its last requests still run: the engine must not stop under them (their transactions would fail noisily).
 */
function tracked(fn: (req: express.Request, res: express.Response) => Promise<void>): express.RequestHandler {
  return async (req, res) => {
    inFlight++;
    try {
      await fn(req, res);
    } finally {
      inFlight--;
    }
  };
}

/** Resolves when no tracked handler runs (or after 5 s). */
async function settled(): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** Runs `cleanup` (stopping an engine, which removes its socket directory; deleting a data directory) at exit. */
function stopOnExit(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

/** Exits, after the cleanups, on a signal or when the bench that started this process goes away (stdin closes). */
function exitWithTheBench(): void {
  let exiting = false;
  const exit = async () => {
    if (exiting) return;
    exiting = true;
    try {
      for (const cleanup of cleanups.reverse()) await cleanup();
    } finally {
      process.exit(0);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void exit());
  process.stdin.on('close', () => void exit()).resume();
}

/** Express 5 as the FHIR app sets it up: no x-powered-by header, no ETag computed from the body. */
function expressApp(): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  return app;
}

/** A driver connected to an embedded engine on its own thread, stopped at exit once no handler is running. */
async function engineClient(options: EmbeddedMongoOptions): Promise<MongoClient> {
  const engine = await startEmbeddedMongoThread(options);
  stopOnExit(() => engine.stop());
  stopOnExit(settled);
  const client = new MongoClient(engine.uri, { ignoreUndefined: true });
  await client.connect();
  return client;
}

function ready(err?: Error): void {
  if (err) throw err;
  process.stdout.write('ready\n');
}

interface Stored {
  _id: string;
  vid: number;
  del: boolean;
  text: string;
}

async function listenCrud(port: number): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fhirstone-baseline-crud-'));
  // (Cleanups run last first: the engine stops before its data directory goes.)
  stopOnExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const client = await engineClient({ dataDir, fsync: 'batch' });
  const db = client.db('baseline');
  const inTransaction = async (fn: (db: Db, session: ClientSession) => Promise<void>) => {
    const session = client.startSession();
    try {
      await session.withTransaction(() => fn(db, session), { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
    } finally {
      await session.endSession();
    }
  };
  // The next version of type/id, replacing the current one and added to its history; 404 when there is none.
  const write = async (type: string, id: string, text: string | undefined, res: express.Response) => {
    let vid = 0;
    await inTransaction(async (db, session) => {
      const current = await db.collection<Stored>(type).findOne({ _id: id, del: false }, { session });
      if (!current) return;
      vid = current.vid + 1;
      const next = { _id: id, vid, del: text === undefined, text: text ?? '' };
      await db.collection<Stored>(type).replaceOne({ _id: id }, next, { session });
      await db.collection<Stored>(`${type}_history`).insertOne({ ...next, _id: `${id}/${vid}` }, { session });
    });
    res.status(vid ? 200 : 404).end(text ?? '');
  };
  const app = expressApp();
  const raw = express.raw({ type: () => true });
  app.post(
    '/fhir/:type',
    raw,
    tracked(async (req, res) => {
      const type = req.params.type as string;
      const id = randomUUID();
      const text = JSON.stringify({ ...JSON.parse(String(req.body)), id });
      await inTransaction(async (db, session) => {
        await db.collection<Stored>(type).insertOne({ _id: id, vid: 1, del: false, text }, { session });
        await db.collection<Stored>(`${type}_history`).insertOne({ _id: `${id}/1`, vid: 1, del: false, text }, { session });
      });
      res.status(201).end(text);
    }),
  );
  app.get(
    '/fhir/:type/:id',
    tracked(async (req, res) => {
      const doc = await db.collection<Stored>(req.params.type as string).findOne({ _id: req.params.id as string, del: false });
      res.status(doc ? 200 : 404).end(doc?.text ?? '');
    }),
  );
  app.put(
    '/fhir/:type/:id',
    raw,
    tracked((req, res) => write(req.params.type as string, req.params.id as string, String(req.body), res)),
  );
  app.delete(
    '/fhir/:type/:id',
    tracked((req, res) => write(req.params.type as string, req.params.id as string, undefined, res)),
  );
  app.listen(port, '127.0.0.1', ready);
}

if (require.main === module) {
  const [kind, port, file] = process.argv.slice(2);
  if (!(KINDS as readonly string[]).includes(kind)) throw new Error(`unknown baseline ${kind}`);
  const response = file ? (JSON.parse(readFileSync(file, 'utf8')) as Response) : { headers: {}, body: '' };
  exitWithTheBench();
  void listen(kind as Kind, Number(port), response);
}
