// A durable storage adapter for oidc-provider on node:sqlite, set up as
// Gatehouse's own store is (WAL, synchronous=NORMAL), so that the refresh
// grant can also be compared with a peer whose tokens survive a restart.
// oidc-provider's default adapter keeps everything in process memory (an LRU
// of 1,000 entries) and its documentation says it is not for production.
import { DatabaseSync } from 'node:sqlite';

type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string };

export function sqliteAdapter(path: string) {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS oidc (
    model TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL,
    grant_id TEXT, user_code TEXT, uid TEXT, expires_at INTEGER,
    PRIMARY KEY (model, id))`);
  db.exec('CREATE INDEX IF NOT EXISTS oidc_grant ON oidc (grant_id)');
  db.exec('CREATE INDEX IF NOT EXISTS oidc_user_code ON oidc (model, user_code)');
  db.exec('CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (model, uid)');
  const upsert = db.prepare(`INSERT INTO oidc (model, id, payload, grant_id, user_code, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code,
    uid = excluded.uid, expires_at = excluded.expires_at`);
  const find = db.prepare('SELECT payload, expires_at FROM oidc WHERE model = ? AND id = ?');
  const findByUserCode = db.prepare('SELECT payload, expires_at FROM oidc WHERE model = ? AND user_code = ?');
  const findByUid = db.prepare('SELECT payload, expires_at FROM oidc WHERE model = ? AND uid = ?');
  const consume = db.prepare("UPDATE oidc SET payload = json_set(payload, '$.consumed', ?) WHERE model = ? AND id = ?");
  const destroy = db.prepare('DELETE FROM oidc WHERE model = ? AND id = ?');
  const revokeByGrantId = db.prepare('DELETE FROM oidc WHERE grant_id = ?');

  const live = (row: Record<string, unknown> | undefined): Payload | undefined => {
    if (!row || (typeof row.expires_at === 'number' && row.expires_at <= Date.now())) return undefined;
    return JSON.parse(row.payload as string) as Payload;
  };

  return class SqliteAdapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }
    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
      upsert.run(this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt);
    }
    async find(id: string): Promise<Payload | undefined> {
      return live(find.get(this.model, id));
    }
    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return live(findByUserCode.get(this.model, userCode));
    }
    async findByUid(uid: string): Promise<Payload | undefined> {
      return live(findByUid.get(this.model, uid));
    }
    async consume(id: string): Promise<void> {
      consume.run(Math.floor(Date.now() / 1000), this.model, id);
    }
    async destroy(id: string): Promise<void> {
      destroy.run(this.model, id);
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      revokeByGrantId.run(grantId);
    }
  };
}
