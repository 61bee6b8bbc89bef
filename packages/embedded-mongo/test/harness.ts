/**
 * Where the conformance suites run: against a real MongoDB when MONGODB_URI is set (so any divergence of the
 * embedded engine shows), else against a fresh in-memory embedded engine.
 */
import { Db, MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../src';

export const againstRealMongo = Boolean(process.env.MONGODB_URI);
/** Engine-internal suites (storage, lock, crash) skip themselves against a real server. */
export const describeEmbeddedOnly = againstRealMongo ? describe.skip : describe;

export interface Harness {
  client: MongoClient;
  db: Db;
  uri: string;
  close(): Promise<void>;
}

let dbCounter = 0;

export async function openHarness(): Promise<Harness> {
  const embedded = againstRealMongo ? undefined : await startEmbeddedMongo();
  const uri = process.env.MONGODB_URI ?? embedded!.uri;
  const client = await MongoClient.connect(uri, { monitorCommands: true });
  const db = client.db(`conf_${process.pid}_${++dbCounter}`);
  return {
    client,
    db,
    uri,
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
      await embedded?.stop();
    },
  };
}

type PlanNode = { stage?: string; inputStage?: PlanNode; inputStages?: PlanNode[]; queryPlan?: PlanNode; [k: string]: unknown };

/** Every stage of an explain's winning plan (depth-first), whatever version-specific wrapping it has. */
export function planStages(explain: Record<string, unknown>): PlanNode[] {
  const qp = (explain.queryPlanner ?? (explain.stages as Array<Record<string, Record<string, unknown>>>)?.[0]?.$cursor?.queryPlanner) as { winningPlan: PlanNode };
  const out: PlanNode[] = [];
  const walk = (n: PlanNode | undefined) => {
    if (!n) return;
    if (n.stage) out.push(n);
    walk(n.queryPlan);
    walk(n.inputStage);
    n.inputStages?.forEach(walk);
  };
  walk(qp.winningPlan);
  return out;
}

/** Names of the indexes the winning plan scans ([] for a collection scan). */
export function indexesUsed(explain: Record<string, unknown>): string[] {
  return planStages(explain)
    .filter((s) => s.stage === 'IXSCAN' || s.stage === 'EXPRESS_IXSCAN')
    .map((s) => String(s.indexName));
}

export function usesCollScan(explain: Record<string, unknown>): boolean {
  return planStages(explain).some((s) => s.stage === 'COLLSCAN');
}

export function hasBlockingSort(explain: Record<string, unknown>): boolean {
  return planStages(explain).some((s) => s.stage === 'SORT');
}
