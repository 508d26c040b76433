// JSONata expressions (transform steps, and the templates of http steps) are
// evaluated off the main thread, in a small pool of worker threads, so that
// no expression can stall the server: jsonata's guards stop loops, deep
// recursion and huge sequences inside the thread, and an evaluation that
// runs past its time anyway (a catastrophically backtracking regular
// expression is one native call that nothing inside can interrupt) has its
// thread terminated and replaced. A thread costs ~30 µs a call in messages.
import { Worker } from 'node:worker_threads';
import jsonata from 'jsonata';
import type { EvaluateReply, EvaluateRequest } from './jsonata-worker.ts';

export class ExpressionError extends Error {
  readonly timedOut: boolean;
  constructor(message: string, timedOut = false) {
    super(message);
    this.timedOut = timedOut;
  }
}

/** A syntax error in `expression`, as a sentence; null if it compiles. */
export function expressionProblem(expression: string): string | null {
  try {
    jsonata(expression);
    return null;
  } catch (error) {
    const e = error as { message?: string; position?: number };
    return `${e.message ?? 'is not a JSONata expression'}${e.position !== undefined ? ` (at character ${e.position})` : ''}`;
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A thread and what it has been asked. */
class SandboxThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  constructor(onExit: (thread: SandboxThread) => void) {
    this.worker = new Worker(new URL('./jsonata-worker.ts', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (reply: EvaluateReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      clearTimeout(waiting.timer);
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(new ExpressionError(reply.message, reply.code === 'D1012'));
    });
    const fail = (why: string) => {
      for (const waiting of this.pending.values()) {
        clearTimeout(waiting.timer);
        waiting.reject(new ExpressionError(why, why.includes('time')));
      }
      this.pending.clear();
      onExit(this);
    };
    this.worker.on('error', (error) => fail(`the expression's thread failed: ${error.message}`));
    this.worker.on('exit', () => fail('the expression ran out of time'));
  }
}

export class JsonataSandbox {
  readonly #size: number;
  readonly #max: number;
  #threads: SandboxThread[] = [];
  #ids = 0;
  #closed = false;
  readonly #shrink: NodeJS.Timeout;

  /**
   * `size` threads are kept; when every one is busy (a slow expression holds
   * it), more are started, up to `max`, so one stuck expression never holds
   * up the others; the extra ones end once idle.
   */
  constructor(size = 2, max = 8) {
    this.#size = size;
    this.#max = max;
    this.#shrink = setInterval(() => {
      const idle = this.#threads.filter((t) => t.pending.size === 0);
      for (const thread of idle.slice(0, Math.max(0, this.#threads.length - this.#size))) void thread.worker.terminate();
    }, 30_000);
    this.#shrink.unref();
  }

  /**
   * The value of `expression` over `input` (JSON: undefined becomes null).
   * Throws ExpressionError when it fails, or runs past `timeoutMs` (then with
   * `timedOut`).
   */
  evaluate(expression: string, input: unknown, timeoutMs: number, bindings?: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ExpressionError('the server is stopping'));
    const thread = this.#thread();
    const id = ++this.#ids;
    return new Promise((resolve, reject) => {
      // jsonata's own timeout answers first; this one is for what it cannot interrupt.
      const timer = setTimeout(() => {
        thread.pending.delete(id);
        reject(new ExpressionError(`the expression ran for more than ${timeoutMs} ms`, true));
        // Whatever else the thread was doing is lost with it, and failed above by its exit.
        void thread.worker.terminate();
      }, timeoutMs + 250);
      thread.pending.set(id, { resolve, reject, timer });
      const request: EvaluateRequest = { id, expression, input, timeoutMs, ...(bindings ? { bindings } : {}) };
      thread.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#shrink);
    const threads = this.#threads;
    this.#threads = [];
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #thread(): SandboxThread {
    const spawn = () => {
      const thread = new SandboxThread((dead) => {
        this.#threads = this.#threads.filter((t) => t !== dead);
      });
      this.#threads.push(thread);
      return thread;
    };
    while (this.#threads.length < this.#size) spawn();
    const idle = this.#threads.find((t) => t.pending.size === 0);
    if (idle) return idle;
    if (this.#threads.length < this.#max) return spawn();
    // All busy and no room for more: the least busy.
    return this.#threads.reduce((best, t) => (t.pending.size < best.pending.size ? t : best));
  }
}
