// A local HTTP target for http steps and webhooks: it listens on 127.0.0.2
// (loopback, refused by default; the tests open exactly this address with
// GATEHOUSE_OUTBOUND_ALLOW), records every request, and answers as told per
// path: fail the first N times, hang, redirect, or echo.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export const TARGET_HOST = '127.0.0.2';
export const TARGET_ALLOW = { GATEHOUSE_OUTBOUND_ALLOW: TARGET_HOST };

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

type Behaviour = (request: Received, count: number, response: ServerResponse) => void;

export interface Target {
  url: string;
  received: Received[];
  /** The requests to a path. */
  to(path: string): Received[];
  on(path: string, behaviour: Behaviour): void;
  /** Resolves when a request to `path` has arrived `count` times. */
  waitFor(path: string, count?: number, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

export const echo: Behaviour = (request, _count, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ method: request.method, path: request.path, body: request.body ? JSON.parse(request.body) as unknown : null }));
};

export const failTimes = (n: number, status = 503): Behaviour => (request, count, response) => {
  if (count <= n) {
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(`failure ${count}`);
    return;
  }
  echo(request, count, response);
};

/** Never answers (until the client gives up). */
export const hang: Behaviour = () => {};

export async function startTarget(): Promise<Target> {
  const received: Received[] = [];
  const behaviours = new Map<string, Behaviour>();
  const waiters: Array<{ path: string; count: number; resolve: (r: Received) => void }> = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const path = (request.url ?? '/').split('?')[0]!;
      const entry: Received = { method: request.method ?? 'GET', path, headers: request.headers, body, at: Date.now() };
      received.push(entry);
      const count = received.filter((r) => r.path === path).length;
      for (const waiter of [...waiters]) {
        if (waiter.path === path && count >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      }
      (behaviours.get(path) ?? echo)(entry, count, response);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, TARGET_HOST, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${TARGET_HOST}:${port}`,
    received,
    to: (path) => received.filter((r) => r.path === path),
    on: (path, behaviour) => behaviours.set(path, behaviour),
    waitFor(path, count = 1, timeoutMs = 10_000) {
      const already = received.filter((r) => r.path === path);
      if (already.length >= count) return Promise.resolve(already[count - 1]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no request ${count} to ${path} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ path, count, resolve: (r) => { clearTimeout(timer); resolve(r); } });
      });
    },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
