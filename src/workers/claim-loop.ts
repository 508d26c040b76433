// The loop both background workers share (the run engine and the webhook
// dispatcher): claim up to as many items as there are free slots, handle
// each concurrently, and when nothing is due, sleep until woken (a
// notification) or until the next poll (timers, and anything a missed
// notification left behind). stop() stops claiming, waits for what is in
// flight up to a deadline, then aborts it.

export interface ClaimLoopOptions<T> {
  concurrency: number;
  pollMs: number;
  claim(free: number): Promise<T[]>;
  handle(item: T, signal: AbortSignal): Promise<void>;
  idOf(item: T): string;
  onError(error: unknown): void;
}

export class ClaimLoop<T> {
  readonly #options: ClaimLoopOptions<T>;
  readonly #inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  /** Work may be waiting for a free slot: the last claim filled every slot, or a wake came while none was free. */
  #backlog = false;

  constructor(options: ClaimLoopOptions<T>) {
    this.#options = options;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Claims now rather than at the next poll. */
  poke(): void {
    if (this.#inFlight.size >= this.#options.concurrency) this.#backlog = true;
    this.#woken = true;
    this.#wake?.();
  }

  /** Aborts the item in flight with this id, if this loop has it. */
  abort(id: string, reason: Error): void {
    this.#inFlight.get(id)?.controller.abort(reason);
  }

  async stop(deadlineMs: number): Promise<void> {
    this.#running = false;
    this.poke();
    await this.#loop;
    const timer = setTimeout(() => {
      for (const flight of this.#inFlight.values()) flight.controller.abort(new Error('the server is stopping'));
    }, deadlineMs);
    await Promise.all([...this.#inFlight.values()].map((f) => f.done));
    clearTimeout(timer);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      const free = this.#options.concurrency - this.#inFlight.size;
      let claimed: T[] = [];
      if (free > 0) {
        this.#backlog = false;
        try {
          claimed = await this.#options.claim(free);
        } catch (error) {
          this.#options.onError(error);
        }
        for (const item of claimed) this.#track(item);
      }
      // A full batch may mean more are due: claim again at once. Otherwise sleep until woken or the next poll.
      const full = free > 0 && claimed.length === free;
      if (full) this.#backlog = true;
      if (this.#running && !this.#woken && !full) await this.#sleep();
    }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#options.pollMs);
      this.#wake = done;
    });
  }

  #track(item: T): void {
    const id = this.#options.idOf(item);
    const controller = new AbortController();
    const done = this.#options.handle(item, controller.signal).catch((error: unknown) => this.#options.onError(error)).finally(() => {
      this.#inFlight.delete(id);
      // A slot is free: claim again if work may be waiting for one. (Not
      // otherwise: at a few runs a second, a claim that finds nothing after
      // every run was a third of the engine's queries.)
      if (this.#backlog) this.poke();
    });
    this.#inFlight.set(id, { controller, done });
  }
}
