import autocannon from 'autocannon';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses outside 2xx, and connection errors/timeouts: a correct run has none. */
  non2xx: number;
  errors: number;
}

/** One autocannon run (in this process, so the load generator shares the machine's cores with the server). */
export async function hammer(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon({ timeout: 30, ...opts });
  const requests = r.requests.total;
  return {
    connections: opts.connections ?? 10,
    seconds: r.duration,
    requests,
    requestsPerSecond: Math.round(requests / r.duration),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}
