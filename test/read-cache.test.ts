// The read cache of the hot paths, and the process cache built on it.
import { RevocationList } from '../src/oauth/tokens/revocation-list.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadCache } from '../src/store/read-cache.ts';
import { ProcessService } from '../src/process/process-service.ts';
import { UserService } from '../src/user/user-service.ts';
import { NotFoundError } from '../src/errors.ts';
import { freshStore } from './support/store.ts';
import { quietAudit, SYSTEM } from './support/audit.ts';

test('entries expire after their time, the oldest goes when full, and delete drops one', async () => {
  const cache = new ReadCache<number>({ ttlMs: 50, size: 2 });
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3);
  assert.equal(cache.get('a'), undefined, 'the oldest entry made room');
  assert.equal(cache.get('b'), 2);
  cache.delete('b');
  assert.equal(cache.get('b'), undefined);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(cache.get('c'), undefined, 'expired');
});

test('a cached process is still found only in its own workspace', async (t) => {
  const fresh = await freshStore('cache');
  t.after(() => fresh.close());
  const { store } = fresh;
  const users = new UserService(store, quietAudit(store));
  const owner = await users.create({ email: 'owner@example.test', password: 'long enough pw' }, SYSTEM);
  const other = await users.create({ email: 'other@example.test', password: 'long enough pw' }, SYSTEM);
  const ownerWs = (await store.workspaces.findPersonal(owner.id))!.id;
  const otherWs = (await store.workspaces.findPersonal(other.id))!.id;
  const processes = new ProcessService(store, new RevocationList(store));
  const created = await processes.create(ownerWs, { name: 'Close' }, owner.email);
  assert.equal((await processes.get(ownerWs, created.id)).name, 'Close');
  // Now served from the cache: another workspace must still get a not-found.
  await assert.rejects(processes.get(otherWs, created.id), NotFoundError);
  assert.equal((await processes.get(ownerWs, created.id)).id, created.id);
  await assert.rejects(processes.get(ownerWs, 'p-missing'), NotFoundError);
});
