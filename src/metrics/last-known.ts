// A value read from the store when /metrics is scraped. A scrape must answer
// while the database is down or slow (that is when it matters most): a read
// that fails, or takes longer than its timeout, leaves the last value in
// place. While a read is still out, later scrapes get the last value at
// once: a stuck database neither collects a query per scrape nor holds
// each scrape for the timeout.
export class LastKnown<T> {
  readonly #read: () => Promise<T>;
  readonly #timeoutMs: number;
  #value: T;
  #reading: Promise<void> | undefined;

  constructor(read: () => Promise<T>, initial: T, timeoutMs = 1000) {
    this.#read = read;
    this.#value = initial;
    this.#timeoutMs = timeoutMs;
  }

  async current(): Promise<T> {
    if (this.#reading) return this.#value;
    const reading = this.#refresh().finally(() => {
      this.#reading = undefined;
    });
    this.#reading = reading;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#timeoutMs);
    });
    await Promise.race([reading, timeout]);
    clearTimeout(timer);
    return this.#value;
  }

  async #refresh(): Promise<void> {
    try {
      this.#value = await this.#read();
    } catch {
      // Kept: the last value read. The outage itself is reported elsewhere (readiness, logs).
    }
  }
}
