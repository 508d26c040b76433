// Every metric Gatehouse exposes at /metrics, in a prom-client registry of its
// own (not the global default: tests build several apps in one process). The
// parts that record get the one instrument they need, never this class.
// Counts that live in the store (runs by status, the engine's queue) are
// read when scraped; everything else is counted as it happens.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RUN_STATUSES, type RunStatus } from '../runs/run.ts';
import { isoTime } from '../ids.ts';
import type { DeliveryOutcome } from '../webhooks/dispatcher.ts';
import { AccumulatedCounter, type CountCell } from './accumulated.ts';
import { HttpRequestMetrics } from './http-requests.ts';
import { LastKnown } from './last-known.ts';

/** What the metrics read from the store at scrape time (RunRepository has both). */
export interface RunCounts {
  countByStatus(): Promise<Partial<Record<RunStatus, number>>>;
  countQueued(now: string): Promise<number>;
}

/** A connection pool's counts; pg's Pool has these three getters. */
export interface PoolUsage {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** Where an error response was sent: the authorization server (RFC 6749 §5.2) or the API and the JSON fallbacks. */
export type FailureSurface = 'oauth' | 'api';
/** Counts one error response by its `error` code. */
export type CountFailure = (code: string) => void;

export interface MetricsOptions {
  /** prom-client's process metrics (CPU, memory, GC, handles, event-loop delay); off when nothing serves /metrics. */
  processMetrics: boolean;
}

const SECONDS_BUCKETS_FAST = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SECONDS_BUCKETS_FEED = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  /** Requests by route pattern, method and status (the onResponse hook in app.ts). */
  readonly httpRequests: HttpRequestMetrics;
  /** Access tokens issued by the token endpoint, by grant_type; resolve a grant's cell once. */
  readonly tokensIssued: AccumulatedCounter<'grant_type'>;
  /** How long after a revocation was written this node applied it (the revocation list observes it). */
  readonly revocationFeedLag: Histogram;
  /** How long the engine's claim of due runs took. */
  readonly engineClaimDuration: Histogram;
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Rows the janitor deleted, by table (the janitor increments it). */
  readonly janitorDeleted: Counter<'table'>;
  /** When the janitor last finished a purge, Unix seconds (the janitor sets it). */
  readonly janitorLastRun: Gauge;
  readonly #failures: AccumulatedCounter<'surface' | 'error'>;
  #pool: PoolUsage | undefined;

  constructor(sources: { runs: RunCounts }, options: MetricsOptions) {
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new HttpRequestMetrics(this.registry);
    this.tokensIssued = new AccumulatedCounter(this.registry, {
      name: 'gatehouse_tokens_issued_total', help: 'Access tokens issued by the token endpoint, by grant type.', labelNames: ['grant_type'],
    });
    this.#failures = new AccumulatedCounter(this.registry, {
      name: 'gatehouse_error_responses_total',
      help: 'Error responses by surface (oauth: the authorization server; api: the API and JSON fallbacks) and error code.',
      labelNames: ['surface', 'error'],
    });
    this.revocationFeedLag = new Histogram({
      name: 'gatehouse_revocation_feed_lag_seconds', help: 'Time from a revocation\'s write to this node applying it.', buckets: SECONDS_BUCKETS_FEED, registers,
    });
    this.engineClaimDuration = new Histogram({
      name: 'gatehouse_engine_claim_duration_seconds', help: 'Time the run engine\'s claim of due runs took.', buckets: SECONDS_BUCKETS_FAST, registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'gatehouse_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered, failed (to be retried), given_up (no retry left, or the endpoint is disabled).',
      labelNames: ['outcome'],
      registers,
    });
    // Every outcome from the start, at 0, so that a rate over them never misses a series.
    for (const outcome of ['delivered', 'failed', 'given_up'] satisfies DeliveryOutcome[]) this.webhookDeliveries.inc({ outcome }, 0);
    this.janitorDeleted = new Counter({ name: 'gatehouse_janitor_deleted_rows_total', help: 'Expired rows the janitor deleted, by table.', labelNames: ['table'], registers });
    this.janitorLastRun = new Gauge({ name: 'gatehouse_janitor_last_run_timestamp_seconds', help: 'When the janitor last finished a purge (Unix time).', registers });
    this.#storeGauges(sources.runs);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics as Prometheus text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** A counter of one surface's error responses; each code's cell is resolved on its first use. */
  failures(surface: FailureSurface): CountFailure {
    const cells = new Map<string, CountCell>();
    return (code) => {
      let cell = cells.get(code);
      if (cell === undefined) {
        cell = this.#failures.cell({ surface, error: code });
        cells.set(code, cell);
      }
      cell.inc();
    };
  }

  /**
   * Reports a connection pool's use at each scrape (PostgreSQL: pass the pg
   * Pool). Until called, no pool metrics appear (SQLite has none to speak of).
   */
  watchDatabasePool(pool: PoolUsage): void {
    const first = this.#pool === undefined;
    this.#pool = pool;
    if (!first) return;
    const usage = () => this.#pool!;
    const registers = [this.registry];
    new Gauge({ name: 'gatehouse_db_pool_connections', help: 'Connections the database pool holds open.', registers, collect() { this.set(usage().totalCount); } });
    new Gauge({ name: 'gatehouse_db_pool_idle_connections', help: 'Open connections of the database pool that are idle.', registers, collect() { this.set(usage().idleCount); } });
    new Gauge({ name: 'gatehouse_db_pool_waiting_requests', help: 'Queries waiting for a connection from the database pool.', registers, collect() { this.set(usage().waitingCount); } });
  }

  #storeGauges(runs: RunCounts): void {
    const registers = [this.registry];
    const byStatus = new LastKnown<Partial<Record<RunStatus, number>>>(() => runs.countByStatus(), {});
    new Gauge({
      name: 'gatehouse_runs',
      help: 'Process runs in the store, by status (read at scrape time; the last value while the database does not answer).',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await byStatus.current();
        for (const status of RUN_STATUSES) this.set({ status }, counts[status] ?? 0);
      },
    });
    const queued = new LastKnown(() => runs.countQueued(isoTime(Date.now())), 0);
    new Gauge({
      name: 'gatehouse_engine_queue_depth',
      help: 'Runs that are due and held by no worker (read at scrape time; the last value while the database does not answer).',
      registers,
      async collect() {
        this.set(await queued.current());
      },
    });
  }
}
