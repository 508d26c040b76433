// Whether the database answers. The store reports each failure that means an
// outage (see unavailable.ts) and each success; the state changes once per
// outage, so a listener (the server's log) hears one line when the database
// goes away and one when it is back, not one per request. While it is down,
// PostgreSQL connections are not even tried (a request fails at once with 503)
// and a probe tries every second, so the node recovers by itself.
import { isStoreUnavailable } from './unavailable.ts';

export type AvailabilityListener = (up: boolean, reason: string) => void;

export class StoreAvailability {
  #up = true;
  #reason = '';
  #since = Date.now();
  #probeTimer: NodeJS.Timeout | undefined;
  readonly #listeners: AvailabilityListener[] = [];
  readonly #probe: (() => Promise<void>) | undefined;
  readonly #probeMs: number;

  /** `probe`, if given, is run every `probeMs` while the database is down; its success brings it back up. */
  constructor(probe?: () => Promise<void>, probeMs = 1000) {
    this.#probe = probe;
    this.#probeMs = probeMs;
  }

  get up(): boolean {
    return this.#up;
  }

  /** Why it is down (the first error of the outage), and since when (ms). */
  get status(): { up: boolean; reason: string; since: number } {
    return { up: this.#up, reason: this.#reason, since: this.#since };
  }

  onChange(listener: AvailabilityListener): void {
    this.#listeners.push(listener);
  }

  /** Reports an error from the database; only an outage's errors change the state. Returns whether it was one. */
  failed(error: unknown): boolean {
    if (!isStoreUnavailable(error)) return false;
    if (this.#up) {
      this.#up = false;
      this.#since = Date.now();
      this.#reason = error instanceof Error ? error.message : String(error);
      for (const listener of this.#listeners) listener(false, this.#reason);
      this.#startProbing();
    }
    return true;
  }

  /** Reports that the database answered. */
  succeeded(): void {
    if (this.#up) return;
    this.#up = true;
    this.#since = Date.now();
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    for (const listener of this.#listeners) listener(true, this.#reason);
  }

  stop(): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  #startProbing(): void {
    const probe = this.#probe;
    if (!probe || this.#probeTimer) return;
    const tick = () => {
      this.#probeTimer = setTimeout(() => {
        probe().then(() => this.succeeded(), () => { if (!this.#up) tick(); });
      }, this.#probeMs);
      this.#probeTimer.unref();
    };
    tick();
  }
}
