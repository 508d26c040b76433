// Minimal type declarations for the two benchmark dependencies that ship no
// types of their own (only what bench/ uses).

declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    timeout?: number;
  }
  interface Result {
    requests: Histogram & { sent: number };
    latency: Histogram;
    throughput: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    mismatches: number;
    duration: number;
    '2xx': number;
    statusCodeStats?: Record<string, { count: number }>;
  }
  interface Instance extends PromiseLike<Result> {
    /** Emitted for every response; `responseTime` is in milliseconds, not rounded. */
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
  }
  function autocannon(options: Options): Instance;
  export default autocannon;
}

declare module 'oidc-provider' {
  import type { Server } from 'node:http';
  interface Client {
    clientId: string;
  }
  interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    /** Stores the grant; resolves to its id. */
    save(): Promise<string>;
  }
  interface RefreshToken {
    /** Stores the token; resolves to its value. */
    save(): Promise<string>;
  }
  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host: string, callback?: () => void): Server;
    on(event: string, listener: (...args: unknown[]) => void): this;
    Client: { find(id: string): Promise<Client | undefined> };
    Grant: new (properties: { accountId: string; clientId: string }) => Grant;
    RefreshToken: new (properties: Record<string, unknown> & { client: Client }) => RefreshToken;
  }
}
