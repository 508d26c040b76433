// A run's events as a Server-Sent Events stream: what happened since the
// client's Last-Event-ID, then each new event as it is committed (on any
// node: the notifier says a run changed, and the stream reads its new events
// from the store), until the run ends. Used by the API and by the portal's
// run page (which signs in with its session, as EventSource sends cookies
// but no Authorization header).
import type { ServerResponse } from 'node:http';
import type { Notifier } from './notifier.ts';
import type { RunEvent } from './run.ts';
import { toEventJson } from './run-json.ts';

const ENDING = new Set(['run.finished', 'run.failed', 'run.timed_out', 'run.cancelled']);

/** The streams open now, ended when the server stops (they would otherwise hold its close open for ever). */
const open = new Set<() => void>();

/** Ends every open stream; clients reconnect (to another node) with their Last-Event-ID. */
export function endAllStreams(): void {
  for (const finish of [...open]) finish();
}
const HEARTBEAT_MS = 15_000;

export interface EventSource {
  runId: string;
  /** Events after `afterId`, oldest first. */
  after(afterId: number): Promise<RunEvent[]>;
  /** Whether the run is over (the stream then ends once it has sent everything). */
  isOver(): Promise<boolean>;
}

/**
 * Writes the stream on `raw` (a hijacked reply) until the run ends or the
 * client goes away. A client that reconnects after the end (EventSource does)
 * is answered 204 No Content, which tells it to stop.
 */
export async function streamRunEvents(raw: ServerResponse, source: EventSource, notifier: Notifier, lastEventId: number, headers: Record<string, string>): Promise<void> {
  if ((await source.isOver()) && (await source.after(lastEventId)).length === 0) {
    raw.writeHead(204, { ...headers, 'cache-control': 'no-store' });
    raw.end();
    return;
  }
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies must not buffer a stream.
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 2000\n\n');
  let last = lastEventId;
  let busy = false;
  let again = false;
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    open.delete(finish);
    notifier.off('run', onRun);
    clearInterval(heartbeat);
    raw.end();
  };

  const pump = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        for (;;) {
          const events = await source.after(last);
          for (const event of events) {
            raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(toEventJson(event))}\n\n`);
            last = event.id;
            if (ENDING.has(event.type) && event === events.at(-1)) {
              // The end, unless a restart already follows (then more comes).
              if (await source.isOver()) return finish();
            }
          }
          if (events.length < 500) break;
        }
      } while (again && !closed);
      if (await source.isOver()) finish();
    } catch {
      finish();
    } finally {
      busy = false;
    }
  };

  const onRun = (runId: string) => {
    if (runId === source.runId) void pump();
  };
  notifier.on('run', onRun);
  const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
  open.add(finish);
  raw.on('close', finish);
  await pump();
}
