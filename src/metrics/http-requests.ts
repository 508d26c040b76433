// Requests by route, method and status: a counter and a latency histogram,
// fed by one onResponse hook. The route is the pattern a request matched
// (`/api/v1/processes/:id`), never its URL, so the number of series is bounded
// by the routes; a request that matched none is "unmatched".
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { AccumulatedHistogram, type TimingCell } from './accumulated.ts';

export const UNMATCHED_ROUTE = 'unmatched';

/** Seconds; the token endpoint and cached GETs answer well under a millisecond. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type RequestLabel = 'route' | 'method' | 'status';

export class HttpRequestMetrics {
  readonly #durations: AccumulatedHistogram<RequestLabel>;
  /** route → method → status → cell: three lookups by values Fastify already has, no key built per request. */
  readonly #cells = new Map<string, Map<string, Map<number, TimingCell>>>();

  constructor(registry: Registry) {
    const durations = new AccumulatedHistogram<RequestLabel>(registry, {
      name: 'gatehouse_http_request_duration_seconds',
      help: 'Time from a request\'s arrival to its response, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS,
    });
    this.#durations = durations;
    new Counter<RequestLabel>({
      name: 'gatehouse_http_requests_total',
      help: 'Requests answered, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
      // The histogram's cells count the requests already: one bump per request serves both.
      collect() {
        this.reset();
        for (const { labels, cell } of durations.entries()) this.inc(labels, cell.count);
      },
    });
  }

  /** `route`: the matched pattern, undefined when none matched; `ms`: the response time. */
  record(route: string | undefined, method: string, status: number, ms: number): void {
    this.#cell(route ?? UNMATCHED_ROUTE, method, status).observe(ms / 1000);
  }

  #cell(route: string, method: string, status: number): TimingCell {
    let byMethod = this.#cells.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#cells.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let cell = byStatus.get(status);
    if (cell === undefined) {
      cell = this.#durations.cell({ route, method, status: String(status) });
      byStatus.set(status, cell);
    }
    return cell;
  }
}

/**
 * Records every response of the routes registered after this, each by a hook
 * of its own that knows its route pattern: a global hook would read
 * `request.routeOptions`, a getter that builds a 13-field object per request
 * (that hook cost introspection 2–3%, `npm run bench:ab`). Requests that match
 * no route are recorded by the not-found handler (`recordUnmatched`).
 */
export function recordRequests(app: FastifyInstance, requests: HttpRequestMetrics): void {
  app.addHook('onRoute', (route) => {
    const url = route.url;
    // A callback hook, not an async one: no promise per request.
    const hook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      requests.record(url, request.method, reply.statusCode, reply.elapsedTime);
      done();
    };
    const existing = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse];
    route.onResponse = [...existing, hook] as typeof route.onResponse;
  });
}

/** Records a request no route matched (from the not-found handler, as it answers). */
export function recordUnmatched(requests: HttpRequestMetrics, request: FastifyRequest, reply: FastifyReply): void {
  requests.record(undefined, request.method, 404, reply.elapsedTime);
}
