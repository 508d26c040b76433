// The JSONata sandbox's thread. Expressions are compiled once and cached, and
// evaluated with jsonata's own guards (time, stack depth, sequence length).
// What those cannot stop (a regular expression that backtracks for minutes
// is one native call) the pool stops by terminating this thread.
import { parentPort } from 'node:worker_threads';
import jsonata from 'jsonata';

export interface EvaluateRequest {
  id: number;
  expression: string;
  input: unknown;
  bindings?: Record<string, unknown>;
  timeoutMs: number;
}

export type EvaluateReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; code?: string };

const MAX_STACK = 300;
const MAX_SEQUENCE = 100_000;
const CACHE_SIZE = 1000;
const compiled = new Map<string, jsonata.Expression>();

function compile(expression: string, timeoutMs: number): jsonata.Expression {
  const key = `${timeoutMs}\u0000${expression}`;
  let found = compiled.get(key);
  if (!found) {
    found = jsonata(expression, { timeout: timeoutMs, stack: MAX_STACK, sequence: MAX_SEQUENCE } as never);
    if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, found);
  }
  return found;
}

/** JSON of a JSONata result: undefined (no match) is null, and sequences are plain arrays. */
const plain = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)) as unknown);

// Loaded: from now on a silence means something is slow, not starting.
parentPort?.postMessage('ready');

parentPort?.on('message', async (request: EvaluateRequest) => {
  let reply: EvaluateReply;
  try {
    const value = await compile(request.expression, request.timeoutMs).evaluate(request.input, request.bindings);
    reply = { id: request.id, ok: true, value: plain(value) };
  } catch (error) {
    const e = error as { message?: string; code?: string };
    reply = { id: request.id, ok: false, message: e.message ?? String(error), ...(e.code ? { code: e.code } : {}) };
  }
  parentPort!.postMessage(reply);
});
