// The in-memory limiter of failed attempts (client authentication).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureLimiter } from '../src/security/failure-limiter.ts';

test('a key is refused once it reaches its limit, until its window ends', () => {
  const limiter = new FailureLimiter({ limit: 3, windowSeconds: 60 });
  const t0 = 1_000_000;
  for (let i = 0; i < 2; i++) limiter.fail('a', t0 + i);
  assert.equal(limiter.retryAfter('a', t0 + 10), 0, 'two failures are within the limit');
  limiter.fail('a', t0 + 20);
  assert.equal(limiter.retryAfter('a', t0 + 30), 60, 'the third reaches it: wait for the window (rounded up)');
  assert.equal(limiter.retryAfter('a', t0 + 30_500), 30);
  assert.equal(limiter.retryAfter('b', t0 + 30), 0, 'other keys are not affected');
  assert.equal(limiter.retryAfter('a', t0 + 60_000), 0, 'the window has ended');
  limiter.fail('a', t0 + 60_001);
  assert.equal(limiter.retryAfter('a', t0 + 60_002), 0, 'a new window starts from one failure');
});

test('memory is bounded: past maxKeys the oldest window is forgotten', () => {
  const limiter = new FailureLimiter({ limit: 1, windowSeconds: 60 }, 2);
  limiter.fail('a', 0);
  limiter.fail('b', 0);
  limiter.fail('c', 0);
  assert.equal(limiter.retryAfter('a', 1), 0);
  assert.ok(limiter.retryAfter('b', 1) > 0);
  assert.ok(limiter.retryAfter('c', 1) > 0);
});
