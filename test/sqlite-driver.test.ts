// The node:sqlite driver's own rules (the store tests cover what both dialects share):
// writes outside a transaction commit in groups, and each settles only once committed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sql, type Kysely } from 'kysely';
import { connect } from '../src/store/connect.ts';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-'));
const path = join(dir, 'driver.db');
let db: Kysely<any>;

before(async () => {
  db = connect(`sqlite:${path}`).db as unknown as Kysely<any>;
  await sql`create table items (id integer primary key, name text not null unique)`.execute(db);
});

after(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** Another process's view of the file: only what is committed. */
function committedNames(): string[] {
  const other = new DatabaseSync(path, { readOnly: true });
  try {
    return (other.prepare('select name from items order by name').all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    other.close();
  }
}

/** Frames written to the WAL since the last call: a commit appends each page it changed. */
function walFrames(): number {
  const other = new DatabaseSync(path);
  try {
    const { log } = other.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number };
    other.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
    return log;
  } finally {
    other.close();
  }
}

test('concurrent writes commit together, in one commit; each is committed once its promise settles', async () => {
  await db.deleteFrom('items').execute();
  walFrames();
  const writes = ['a', 'b', 'c', 'd'].map((name) => db.insertInto('items').values({ name }).execute());
  assert.deepEqual(committedNames(), [], 'nothing is committed before the group is');
  await Promise.all(writes);
  assert.deepEqual(committedNames(), ['a', 'b', 'c', 'd']);
  // One commit writes the table's page and its index's once; four commits would write them four times.
  assert.ok(walFrames() <= 3, 'the four inserts were one commit');
  // And a read on the server's own reader connection sees them too.
  assert.equal((await db.selectFrom('items').select('name').execute()).length, 4);
});

test('a write that fails in a group fails alone; the others land', async () => {
  await db.deleteFrom('items').execute();
  const results = await Promise.allSettled([
    db.insertInto('items').values({ name: 'x' }).execute(),
    db.insertInto('items').values({ name: 'x' }).execute(),
    db.insertInto('items').values({ name: 'y' }).execute(),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
  assert.deepEqual(committedNames(), ['x', 'y']);
});

test('a transaction waits for the open group, and a write made during the transaction waits for it', async () => {
  await db.deleteFrom('items').execute();
  const order: string[] = [];
  let later: Promise<unknown> | undefined;
  const grouped = db.insertInto('items').values({ name: 'grouped' }).execute().then(() => order.push('grouped'));
  const transaction = db.transaction().execute(async (trx) => {
    assert.deepEqual(committedNames(), ['grouped'], 'the group committed before the transaction began');
    await trx.insertInto('items').values({ name: 'in-transaction' }).execute();
    later = db.insertInto('items').values({ name: 'later' }).execute().then(() => order.push('later'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(committedNames(), ['grouped'], 'neither the transaction nor the write after it is committed yet');
    order.push('transaction');
  });
  await Promise.all([grouped, transaction]);
  await later;
  assert.deepEqual(order, ['grouped', 'transaction', 'later']);
  assert.deepEqual(committedNames(), ['grouped', 'in-transaction', 'later']);
});

test('a transaction that throws leaves nothing, and the next group still commits', async () => {
  await db.deleteFrom('items').execute();
  await assert.rejects(db.transaction().execute(async (trx) => {
    await trx.insertInto('items').values({ name: 'rolled-back' }).execute();
    throw new Error('boom');
  }), /boom/);
  await Promise.all([db.insertInto('items').values({ name: 'p' }).execute(), db.insertInto('items').values({ name: 'q' }).execute()]);
  assert.deepEqual(committedNames(), ['p', 'q']);
});

test('the log is copied back into the database file by the checkpointer\'s thread, not inside a commit', async () => {
  await db.deleteFrom('items').execute();
  walFrames();
  const before = statSync(path).size;
  // ~2 MB in the log: about 500 pages, under SQLite's own automatic checkpoint (1,000 pages) and far under the writer's (10,000).
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < 40; i++) {
      await trx.insertInto('items').values(Array.from({ length: 50 }, (_, j) => ({ name: `${i}-${j}-${'x'.repeat(1000)}` }))).execute();
    }
  });
  assert.ok(statSync(path).size < before + 100_000, 'the commit left its pages in the log');
  const deadline = Date.now() + 3000;
  while (statSync(path).size < before + 1_500_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(statSync(path).size >= before + 1_500_000, `the checkpointer copied the log into the file (${before} → ${statSync(path).size} bytes)`);
  assert.equal(committedNames().length, 2000);
});
