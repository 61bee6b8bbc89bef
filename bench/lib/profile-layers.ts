import type { CpuProfile, TimeWindow } from './cpu-profile';

type CallFrame = CpuProfile['nodes'][number]['callFrame'];

/**
 * The layers a request's CPU time is split into, as data. A sample belongs to the first layer whose `anywhere`
 * pattern matches a frame anywhere on its stack (a layer that owns everything it calls: the audit trail with its
 * search indexing and hashing), else to the layer of its innermost frame in a package or in the project (the code
 * that asked for the work: a socket write under the driver is the driver's), else to Node itself.
 */
export const LAYERS: ReadonlyArray<{ layer: string; anywhere?: RegExp; frame?: RegExp }> = [
  { layer: 'audit (event, hash chain, search values, its inserts)', anywhere: /\/src\/audit\/|\/json-canonicalize\/|\/src\/search\/index-builder/ },
  { layer: 'driver + bson', frame: /\/node_modules\/(mongodb|bson)\// },
  { layer: 'logging (pino, request log)', frame: /\/node_modules\/(pino|sonic-boom|thread-stream)\/|\/src\/http\/request-log/ },
  {
    layer: 'middleware (helmet, compression, cors, in-flight)',
    frame: /\/node_modules\/(compression|helmet|cors|on-headers|vary|negotiator|accepts|compressible|bytes)\/|\/src\/http\/(security-headers|in-flight)/,
  },
  {
    layer: 'express (router, body parser)',
    frame:
      /\/node_modules\/(express|router|body-parser|raw-body|type-is|parseurl|finalhandler|on-finished|content-type|media-typer|mime-types|http-errors|statuses|path-to-regexp|qs)\//,
  },
  { layer: 'request id', frame: /\/src\/http\/request-id/ },
  { layer: 'HTTP adapter (src/http: app, format, headers; response write)', frame: /\/src\/http\// },
  { layer: 'router and interactions (src/router)', frame: /\/src\/router\// },
  { layer: 'repository (src/store)', frame: /\/src\/store\// },
  { layer: 'auth', frame: /\/src\/auth\// },
  { layer: 'metrics', frame: /\/src\/metrics\/|\/node_modules\/prom-client\// },
  { layer: 'engine: wire and command dispatch', frame: /embedded-mongo\/(dist|src)\/(wire|commands)\// },
  { layer: 'engine: storage (lmdb)', frame: /embedded-mongo\/(dist|src)\/storage\/|\/node_modules\/lmdb\// },
  { layer: 'engine: query, documents, transactions', frame: /embedded-mongo\/(dist|src)\// },
];

const PACKAGE_OR_PROJECT = /\/node_modules\/|\/src\/|\/dist\//;

/** The layer of one sample, its stack given innermost frame first. */
export function layerOf(stack: readonly CallFrame[]): string {
  for (const l of LAYERS) if (l.anywhere && stack.some((f) => l.anywhere!.test(f.url))) return l.layer;
  const owner = stack.find((f) => PACKAGE_OR_PROJECT.test(f.url));
  if (owner) {
    const l = LAYERS.find((x) => x.frame?.test(owner.url));
    if (l) return l.layer;
    return `other: ${/node_modules\/[^/]+|src\/[^/]+/.exec(owner.url)?.[0] ?? owner.url}`;
  }
  return stack[0]?.functionName === '(garbage collector)' ? 'garbage collector' : 'Node (event loop, sockets, timers)';
}

/** Busy microseconds per layer of one thread's profile (idle left out), within `window` when given. */
export function splitByLayer(profile: CpuProfile, window?: TimeWindow): Map<string, number> {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const layers = new Map<number, string>();
  const layerOfNode = (id: number): string => {
    let l = layers.get(id);
    if (l === undefined) {
      const stack: CallFrame[] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(nodes.get(cur)!.callFrame);
      layers.set(id, (l = layerOf(stack)));
    }
    return l;
  };
  const [from, to] = window ? [Number(window[0] / 1000n), Number(window[1] / 1000n)] : [-Infinity, Infinity];
  const out = new Map<string, number>();
  const samples = profile.samples ?? [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += profile.timeDeltas?.[i] ?? 0;
    if (t < from || t > to || nodes.get(samples[i])?.callFrame.functionName === '(idle)') continue;
    // A sample stands for the time until the next one.
    const weight = profile.timeDeltas?.[i + 1] ?? profile.timeDeltas?.[i] ?? 0;
    const l = layerOfNode(samples[i]);
    out.set(l, (out.get(l) ?? 0) + weight);
  }
  return out;
}

/**
 * CPU milliseconds per unit of work by layer, over every thread of a process: each layer's share of the busy time
 * the profiles sampled, times the CPU the process was measured to use per unit (profiles sample wall time while a
 * thread runs, so their shares are sound where their absolute times, on a busy machine, are not). Largest first.
 */
export function cpuMsByLayer(threads: ReadonlyArray<{ thread: string; layers: Map<string, number> }>, cpuMsPerUnit: number): Array<{ layer: string; ms: number }> {
  const total = threads.reduce((n, t) => n + [...t.layers.values()].reduce((a, b) => a + b, 0), 0);
  if (total === 0) return [];
  return threads
    .flatMap((t) =>
      [...t.layers].map(([layer, us]) => ({ layer: threads.length > 1 ? `${t.thread}: ${layer}` : layer, ms: Math.round((us / total) * cpuMsPerUnit * 1000) / 1000 })),
    )
    .sort((a, b) => b.ms - a.ms);
}
