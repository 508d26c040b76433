// The SQLite checkpointer's thread: on its own connection, copies the WAL's
// committed pages back into the database file every CHECKPOINT_MS, passively
// (it never waits for, nor blocks, a writer or a reader).
import { workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 1000');
setInterval(() => {
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or briefly unreadable: the next round tries again, and the writer's own fallback bounds the WAL.
  }
}, intervalMs);
