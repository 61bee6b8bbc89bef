import type { MongoClient } from 'mongodb';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What one answered request is, in labels of bounded cardinality (no ids, no query values). */
export interface RequestLabels {
  /** The route table's interaction (`read`, `search`, `operation`, ...); `none` when no route matched. */
  interaction: string;
  /** The resource type the route addressed; '' at system level or when none. */
  type: string;
  status: number;
}

/** One labelled value of a gauge read at scrape time. */
export interface GaugeSample<L extends string> {
  labels: Partial<Record<L, string>>;
  value: number;
}

/**
 * The server's Prometheus metrics, in prom-client's registry (the well-kept client: text format, histograms, the
 * process and Node metrics of `collectDefaultMetrics`). One per server, not the global registry: tests and the bench
 * run several servers in one process.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'interaction' | 'type' | 'status'>;
  private readonly latency: Histogram<'interaction' | 'type'>;
  private readonly commands: Histogram<'command' | 'outcome'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'fhirstone_' });
    this.requests = new Counter({
      name: 'fhirstone_http_requests_total',
      help: 'FHIR API requests answered, by interaction, resource type and HTTP status',
      labelNames: ['interaction', 'type', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'fhirstone_http_request_duration_seconds',
      help: 'Time from a FHIR API request received to its answer written, by interaction and resource type',
      labelNames: ['interaction', 'type'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.commands = new Histogram({
      name: 'fhirstone_store_command_duration_seconds',
      help: 'Store commands as the driver timed them (find, insert, commitTransaction, ...), by outcome',
      labelNames: ['command', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [this.registry],
    });
  }

  observeRequest(r: RequestLabels, seconds: number): void {
    const labels = { interaction: r.interaction, type: r.type };
    this.requests.inc({ ...labels, status: String(r.status) });
    this.latency.observe(labels, seconds);
  }

  /** Times every command of `client` (which must be created with `monitorCommands: true`). */
  watchStore(client: MongoClient): void {
    client.on('commandSucceeded', (e) => this.commands.observe({ command: e.commandName, outcome: 'ok' }, e.duration / 1000));
    client.on('commandFailed', (e) => this.commands.observe({ command: e.commandName, outcome: 'error' }, e.duration / 1000));
  }

  /** A gauge whose values are read when Prometheus scrapes (a queue's depth, jobs per state). */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<GaugeSample<L>[]> | GaugeSample<L>[]): void {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of await read()) this.set(s.labels, s.value);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
