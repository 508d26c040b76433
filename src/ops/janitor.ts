// The janitor: deletes what stopped mattering (expired sessions, codes,
// device requests, revocations, attempt counters, reset links, refresh-token
// families, PATs, audit events past their retention, signing keys out of the JWKS), kind by kind, in batches until none is left, yielding to
// requests between batches. On PostgreSQL one node at a time runs it (an
// advisory lock); `gatehouse purge` runs the same pass by hand.
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { PURGEABLE, type Purgeable, type PurgeCutoffs, type Store } from '../store/store.ts';

// Codes and device requests can be exchanged for tokens this long after their
// authorization was made: an authorization must outlive them and its tokens.
const EXCHANGE_MARGIN_SECONDS = 3600 + 60;

export type PurgeCounts = Record<Purgeable, number>;

export interface JanitorOptions {
  accessTokenTtlSeconds: number;
  /** Audit events from before this are past their retention (AuditLog.cutoff). */
  auditCutoff(nowMs: number): string;
  batch?: number;
  /** Told of each batch deleted (metrics). */
  onDeleted?: (what: Purgeable, count: number) => void;
}

export class Janitor {
  readonly #store: Pick<Store, 'purgeBatch' | 'exclusively'>;
  readonly #options: JanitorOptions;

  constructor(store: Pick<Store, 'purgeBatch' | 'exclusively'>, options: JanitorOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** One full pass; undefined if another node is running one. */
  async run(now = new Date()): Promise<PurgeCounts | undefined> {
    const counts = Object.fromEntries(PURGEABLE.map((what) => [what, 0])) as PurgeCounts;
    const ran = await this.#store.exclusively('janitor', async () => {
      const cutoffs: PurgeCutoffs = {
        now: now.toISOString(),
        accessTokensFrom: new Date(now.getTime() - (this.#options.accessTokenTtlSeconds + EXCHANGE_MARGIN_SECONDS) * 1000).toISOString(),
        auditBefore: this.#options.auditCutoff(now.getTime()),
      };
      const batch = this.#options.batch ?? 5000;
      for (const what of PURGEABLE) {
        for (;;) {
          const deleted = await this.#store.purgeBatch(what, cutoffs, batch);
          counts[what] += deleted;
          if (deleted > 0) this.#options.onDeleted?.(what, deleted);
          if (deleted < batch) break;
          await yieldToRequests();
        }
      }
    });
    return ran ? counts : undefined;
  }
}

export const totalOf = (counts: PurgeCounts): number => Object.values(counts).reduce((a, b) => a + b, 0);
