// JSONata expressions (transform steps, and the templates of http steps) are
// evaluated off the main thread, in a small pool of worker threads, so that
// no expression can stall the server. jsonata's guards stop loops, deep
// recursion and huge sequences inside a thread; what they cannot interrupt
// (a catastrophically backtracking regular expression is one native call)
// runs until its step's time is up, and then its thread is terminated and
// replaced.
//
// The pool stays small: a thread is added only when every thread has gone
// silent (answered nothing for SILENT_MS while it has work), not merely when
// all have work in flight: a thread per concurrent evaluation cost the
// engine a third of its throughput on a 2-core machine (8 threads pinned
// beside the main one). Work queued behind a silent thread is sent again to
// another (evaluation is pure: the first answer wins), and what a terminated
// thread still held is sent again elsewhere, so a runaway expression never
// fails or holds up the others for long.
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

/** A thread that has had work but answered nothing for this long is taken to be stuck. */
const SILENT_MS = 200;
/** A thread still starting after this long is taken to be stuck too (it starts in ~80 ms alone, a few times that on a busy CPU). */
const START_MS = 5000;
/** How many threads may hold the same evaluation at once. */
const MAX_COPIES = 4;
/** How many times work is sent again after the thread holding it died (of something other than its own timeout). */
const MAX_RESENDS = 2;

/** One evaluation, possibly sent to more than one thread; the first answer settles it. */
interface Evaluation {
  message: EvaluateRequest;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  threads: Set<SandboxThread>;
  /** Threads it has been sent on from, when they went silent (once from each). */
  movedFrom: Set<SandboxThread>;
  resends: number;
  settled: boolean;
}

class SandboxThread {
  readonly worker = new Worker(new URL('./jsonata-worker.ts', import.meta.url));
  readonly pending = new Map<number, Evaluation>();
  readonly startedAt = Date.now();
  /** Whether it has loaded and said so; until then it is starting, not stuck. */
  ready = false;
  /** When it last answered, or was given work while it had none. */
  lastHeard = Date.now();

  silent(now: number): boolean {
    if (!this.ready) return now - this.startedAt > START_MS;
    return this.pending.size > 0 && now - this.lastHeard > SILENT_MS;
  }
}

export class JsonataSandbox {
  readonly #size: number;
  readonly #max: number;
  #threads: SandboxThread[] = [];
  #ids = 0;
  #closed = false;
  readonly #shrink: NodeJS.Timeout;
  #watchdog: NodeJS.Timeout | undefined;
  #watched = Date.now();

  /**
   * `size` threads are kept; more are started, up to `max`, while every
   * thread is stuck on something slow; the extra ones end once idle.
   */
  constructor(size = 1, max = 8) {
    this.#size = size;
    this.#max = max;
    this.#shrink = setInterval(() => {
      const idle = this.#threads.filter((t) => t.pending.size === 0);
      for (const thread of idle.slice(0, Math.max(0, this.#threads.length - this.#size))) this.#retire(thread);
    }, 30_000);
    this.#shrink.unref();
  }

  /** Threads running now (for tests). */
  get threads(): number {
    return this.#threads.length;
  }

  /**
   * Starts the threads it keeps now, rather than at the first evaluation:
   * one started while the server is busy takes long enough to look stuck.
   */
  warm(): void {
    if (!this.#closed) while (this.#threads.length < this.#size) this.#spawn();
  }

  /**
   * The value of `expression` over `input` (JSON: undefined becomes null).
   * Throws ExpressionError when it fails, or runs past `timeoutMs` (then with
   * `timedOut`).
   */
  evaluate(expression: string, input: unknown, timeoutMs: number, bindings?: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ExpressionError('the server is stopping'));
    return new Promise((resolve, reject) => {
      const message: EvaluateRequest = { id: ++this.#ids, expression, input, timeoutMs, ...(bindings ? { bindings } : {}) };
      const evaluation: Evaluation = {
        message, resolve, reject, threads: new Set(), movedFrom: new Set(), resends: 0, settled: false,
        // jsonata's own timeout answers first; this one is for what it cannot interrupt.
        timer: setTimeout(() => this.#timedOut(evaluation), timeoutMs + 250),
      };
      this.#send(evaluation, this.#pick());
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#shrink);
    clearInterval(this.#watchdog);
    const threads = this.#threads;
    this.#threads = [];
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #send(evaluation: Evaluation, thread: SandboxThread): void {
    if (thread.pending.size === 0) thread.lastHeard = Date.now();
    thread.pending.set(evaluation.message.id, evaluation);
    evaluation.threads.add(thread);
    thread.worker.postMessage(evaluation.message);
    if (!this.#watchdog) {
      this.#watched = Date.now();
      this.#watchdog = setInterval(() => this.#watch(), SILENT_MS / 2).unref();
    }
  }

  #settle(evaluation: Evaluation, outcome: { value: unknown } | { error: Error }): void {
    if (evaluation.settled) return;
    evaluation.settled = true;
    clearTimeout(evaluation.timer);
    for (const thread of evaluation.threads) thread.pending.delete(evaluation.message.id);
    if ('error' in outcome) evaluation.reject(outcome.error);
    else evaluation.resolve(outcome.value);
  }

  #timedOut(evaluation: Evaluation): void {
    const holders = [...evaluation.threads];
    this.#settle(evaluation, { error: new ExpressionError(`the expression ran for more than ${evaluation.message.timeoutMs} ms`, true) });
    // What else those threads held is sent again elsewhere when they exit.
    for (const thread of holders) void thread.worker.terminate();
  }

  /** The thread for new work: an idle one, else the least busy that is not stuck; a new one if all are stuck and there is room. */
  #pick(): SandboxThread {
    while (this.#threads.length < this.#size) this.#spawn();
    const now = Date.now();
    let best: SandboxThread | undefined;
    for (const thread of this.#threads) {
      if (thread.pending.size === 0) return thread;
      if (thread.silent(now)) continue;
      if (!best || thread.pending.size < best.pending.size) best = thread;
    }
    if (best) return best;
    if (this.#threads.length < this.#max) return this.#spawn();
    return this.#threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  /**
   * A thread that went silent is most likely stuck on the oldest thing it
   * holds: what is queued behind that is sent again, to a thread with
   * nothing to do (a new one if none is idle). If that one goes silent in
   * turn, the same happens there, so each hop leaves one slow expression
   * behind.
   */
  #watch(): void {
    const now = Date.now();
    // Fired late: this thread was busy, and the answers it has not read yet
    // would look like silence. Judge on the next round.
    const late = now - this.#watched > SILENT_MS;
    this.#watched = now;
    if (late) return;
    let busy = false;
    for (const thread of [...this.#threads]) {
      if (thread.pending.size > 0) busy = true;
      if (!thread.silent(now)) continue;
      const queued = [...thread.pending.values()].slice(1).filter((e) => !e.movedFrom.has(thread) && e.threads.size < MAX_COPIES);
      if (queued.length === 0) continue;
      const target = this.#threads.find((t) => t.pending.size === 0) ?? (this.#threads.length < this.#max ? this.#spawn() : undefined);
      if (!target) continue;
      for (const evaluation of queued) {
        evaluation.movedFrom.add(thread);
        this.#send(evaluation, target);
      }
    }
    if (!busy) {
      clearInterval(this.#watchdog);
      this.#watchdog = undefined;
    }
  }

  #spawn(): SandboxThread {
    const thread = new SandboxThread();
    thread.worker.unref();
    thread.worker.on('message', (reply: EvaluateReply | 'ready') => {
      thread.lastHeard = Date.now();
      if (reply === 'ready') {
        thread.ready = true;
        return;
      }
      const evaluation = thread.pending.get(reply.id);
      if (!evaluation) return;
      this.#settle(evaluation, reply.ok ? { value: reply.value } : { error: new ExpressionError(reply.message, reply.code === 'D1012') });
    });
    thread.worker.on('error', () => this.#lost(thread));
    thread.worker.on('exit', () => this.#lost(thread));
    this.#threads.push(thread);
    return thread;
  }

  /** A thread ended: what it still held goes to another, unless it is held elsewhere too. */
  #lost(thread: SandboxThread): void {
    if (!this.#threads.includes(thread)) return;
    this.#threads = this.#threads.filter((t) => t !== thread);
    for (const evaluation of thread.pending.values()) {
      evaluation.threads.delete(thread);
      if (evaluation.settled || evaluation.threads.size > 0) continue;
      if (this.#closed || evaluation.resends >= MAX_RESENDS) {
        this.#settle(evaluation, { error: new ExpressionError(this.#closed ? 'the server is stopping' : 'the expression\'s thread failed') });
        continue;
      }
      evaluation.resends++;
      this.#send(evaluation, this.#pick());
    }
    thread.pending.clear();
  }

  #retire(thread: SandboxThread): void {
    this.#threads = this.#threads.filter((t) => t !== thread);
    void thread.worker.terminate();
  }
}
