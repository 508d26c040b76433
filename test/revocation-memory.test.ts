// The revocation list holds only what is live, compactly: a node's start reads
// the feed a page at a time, change notices are heard but not kept, and an
// entry leaves memory once every token it refuses has expired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RevocationList } from '../src/oauth/tokens/revocation-list.ts';
import { freshStore } from './support/store.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** The heap in use once garbage is collected (after a pause, so that what callbacks held is let go). */
const heapUsed = async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

test('12,000 live revocations take under 400 bytes each in memory, notices none, and every one is gone from memory once expired', async (t) => {
  const fresh = await freshStore('revocations');
  t.after(() => fresh.close());
  const { store } = fresh;
  const count = 12_000;
  const now = Date.now();
  const createdAt = new Date(now - 1000).toISOString();
  const expiresAt = new Date(now + 3_600_000).toISOString();
  for (let i = 0; i < count; i += 400) {
    await Promise.all(Array.from({ length: 400 }, (_, j) => store.revocations.insert({ id: `rv-${String(i + j).padStart(6, '0')}`, kind: 'jti', value: `jti-${i + j}-${'x'.repeat(14)}`, createdAt, expiresAt })));
  }
  const noticesHeard: string[] = [];
  for (let i = 0; i < 500; i++) await store.revocations.insert({ id: `rv-notice-${i}`, kind: 'client_changed', value: `cl-${i}`, createdAt, expiresAt });

  // A first start warms what every start allocates once (statements, code); the second is measured.
  await (async () => {
    const warm = new RevocationList(store);
    await warm.start();
    warm.stop();
    assert.equal(warm.size, count);
  })();
  const before = await heapUsed();
  const list = new RevocationList(store);
  list.onEntry('client_changed', (value) => noticesHeard.push(value));
  await list.start();
  list.stop();
  const after = await heapUsed();
  const perEntry = (after - before) / count;

  assert.equal(list.size, count, 'every live revocation is held (across the start pages of 5,000), and no notice');
  assert.equal(noticesHeard.length, 500, 'notices reach their listeners');
  const token = (jti: string) => ({ jti, sub: 'u', client_id: 'c', iat: Math.floor(now / 1000) });
  assert.equal(list.isRevoked(token(`jti-0-${'x'.repeat(14)}`)), true);
  assert.equal(list.isRevoked(token(`jti-${count - 1}-${'x'.repeat(14)}`)), true);
  assert.equal(list.isRevoked(token('jti-not-revoked')), false);
  assert.ok(perEntry < 400, `${perEntry.toFixed(0)} bytes per revocation`);

  list.sweep(now + 30 * 60_000);
  assert.equal(list.size, count, 'nothing is forgotten before it expires');
  list.sweep(now + 2 * 3_600_000);
  assert.equal(list.size, 0, 'expired entries leave memory');
  assert.equal(list.isRevoked(token(`jti-0-${'x'.repeat(14)}`)), false);
  list.sweep(now + 2 * 3_600_000);
  const swept = await heapUsed();
  assert.ok(swept - before < count * 40, `the memory is given back (${((swept - before) / count).toFixed(0)} bytes per entry left)`);
  t.diagnostic(`${perEntry.toFixed(0)} bytes per live revocation; ${((swept - before) / count).toFixed(0)} after the sweep`);
});
