// The JSONata sandbox: a small pool of threads that grows only while its
// threads are stuck, and never lets a stuck expression fail or hold up the
// others for long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpressionError, JsonataSandbox } from '../src/runs/jsonata-sandbox.ts';

const BACKTRACKS = '$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)';

test('many evaluations at once are answered by one thread: the pool does not grow for work that merely overlaps', async (t) => {
  const sandbox = new JsonataSandbox();
  t.after(() => sandbox.close());
  const values = await Promise.all(Array.from({ length: 500 }, (_, n) => sandbox.evaluate('n * 2', { n }, 5000)));
  assert.deepEqual(values, Array.from({ length: 500 }, (_, n) => n * 2));
  assert.equal(sandbox.threads, 1);
});

test('work queued behind a stuck expression is answered elsewhere, soon; the stuck one times out; the pool works after', async (t) => {
  const sandbox = new JsonataSandbox();
  t.after(() => sandbox.close());
  await sandbox.evaluate('1', {}, 1000);
  const started = Date.now();
  const stuck = sandbox.evaluate(BACKTRACKS, {}, 1500).then(() => assert.fail('a backtracking expression answered'), (error: unknown) => error);
  const alsoStuck = sandbox.evaluate(BACKTRACKS, {}, 1500).then(() => assert.fail('a backtracking expression answered'), (error: unknown) => error);
  const quick = await Promise.all(Array.from({ length: 5 }, (_, n) => sandbox.evaluate('n + 1', { n }, 5000)));
  assert.deepEqual(quick, [1, 2, 3, 4, 5]);
  // Before the stuck ones time out (1.5 s): they did not wait for them.
  assert.ok(Date.now() - started < 1400, `the quick ones waited ${Date.now() - started} ms behind the stuck ones`);
  for (const error of [await stuck, await alsoStuck]) {
    assert.ok(error instanceof ExpressionError && error.timedOut, String(error));
  }
  assert.ok(Date.now() - started < 2500);
  assert.equal(await sandbox.evaluate('"still" & " here"', {}, 1000), 'still here');
});

test('what a terminated thread still held is evaluated again elsewhere, not failed with it', async (t) => {
  const sandbox = new JsonataSandbox();
  t.after(() => sandbox.close());
  await sandbox.evaluate('1', {}, 1000);
  // Both go to the one thread; the first's timeout (before the pool sees the
  // thread as stuck) terminates it with the second still queued there.
  const stuck = sandbox.evaluate(BACKTRACKS, {}, 10).catch((error: unknown) => error);
  const queued = sandbox.evaluate('x & "!"', { x: 'kept' }, 5000);
  assert.equal(await queued, 'kept!');
  assert.ok((await stuck) instanceof ExpressionError);
});

test('a busy main thread does not make a starting or answering thread look stuck: the pool stays at one', async (t) => {
  const sandbox = new JsonataSandbox();
  t.after(() => sandbox.close());
  for (let round = 0; round < 3; round++) {
    const answers = Array.from({ length: 20 }, (_, n) => sandbox.evaluate('n', { n }, 5000));
    // The thread starts (the first round) and answers meanwhile, but nothing is read until this ends.
    const until = Date.now() + 450;
    while (Date.now() < until) { /* a long synchronous stretch, as under load */ }
    assert.deepEqual(await Promise.all(answers), Array.from({ length: 20 }, (_, n) => n));
  }
  assert.equal(sandbox.threads, 1);
});
