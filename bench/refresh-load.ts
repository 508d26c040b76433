// The refresh-token grant's load generator, run as its own (pinned) process
// by bench/run.ts: `node bench/refresh-load.ts '<json RefreshLoadSpec>'`.
//
// Both servers rotate refresh tokens, so a fixed request body
// would be refused after its first use (bench/load.ts). Instead, a closed loop: one worker
// per seeded refresh token, each with its own keep-alive connection, sends
// grant_type=refresh_token and uses the refresh_token in the response for its
// next request, for a warm-up and then a measured period. Prints one JSON line
// on stdout, in the shape of bench/load.ts's LoadResult.
import { performance } from 'node:perf_hooks';
import { Connection, requestBytes, Tally } from './http-client.ts';
import type { LoadResult } from './load.ts';

export interface RefreshLoadSpec {
  /** The token endpoint. */
  url: string;
  /** client_secret_post credentials of the client the refresh tokens were issued to. */
  clientId: string;
  clientSecret: string;
  /** One unused refresh token per worker. */
  refreshTokens: string[];
  warmupSeconds: number;
  durationSeconds: number;
}

export interface RefreshLoadResult extends LoadResult {
  /**
   * The first few failures, if any. A failed refresh ends its worker's chain
   * (it has no token left to present), so `non2xx`, `errors` and `timeouts`
   * count failures over the whole run, warm-up included; the other counts are
   * for the measured period only.
   */
  failures: string[];
  /** Each worker's newest refresh token, for the next measurement to go on with. */
  refreshTokens: string[];
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '') as RefreshLoadSpec;
  const url = new URL(spec.url);
  const credentials = `&client_id=${encodeURIComponent(spec.clientId)}&client_secret=${encodeURIComponent(spec.clientSecret)}`;
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const tally = new Tally(spec.warmupSeconds, spec.durationSeconds);
  const latest = [...spec.refreshTokens];

  const worker = async (index: number, connection: Connection): Promise<void> => {
    let refreshToken = latest[index]!;
    while (tally.running) {
      const body = `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}${credentials}`;
      const sent = performance.now();
      let status: number;
      let text: string;
      try {
        const reply = await connection.send(requestBytes('POST', url, headers, body));
        status = reply.status;
        text = reply.body.toString('utf8');
      } catch (error) {
        tally.error(error);
        return;
      }
      const received = performance.now();
      if (status < 200 || status > 299) {
        tally.response(status, sent, received, () => text);
        return;
      }
      let next: unknown;
      let accessToken: unknown;
      try {
        ({ refresh_token: next, access_token: accessToken } = JSON.parse(text) as Record<string, unknown>);
      } catch {
        // Handled below: no new token.
      }
      if (typeof next !== 'string' || next === refreshToken || typeof accessToken !== 'string') {
        tally.errors++;
        tally.fail(`worker ${index}: the response holds no new refresh token and access token: ${text.slice(0, 300)}`);
        return;
      }
      refreshToken = next;
      latest[index] = next;
      tally.response(status, sent, received, () => text);
    }
  };

  const connections = spec.refreshTokens.map(() => new Connection(url));
  await Promise.all(connections.map((connection, i) => worker(i, connection)));
  for (const connection of connections) connection.close();
  const output: RefreshLoadResult = { ...tally.result(), failures: tally.failures, refreshTokens: latest };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}
