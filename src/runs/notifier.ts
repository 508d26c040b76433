// How the engine's parts hear of changes: a run is due now (wake the
// workers), a run changed (live event streams), a run was cancelled (abort
// its step wherever it runs), webhook messages wait (wake the dispatcher);
// and the revocation feed has news (read it now, not at the next poll).
// On SQLite, one node: an in-process emitter. On PostgreSQL, the same, plus
// LISTEN/NOTIFY, so that every node hears every other (notifications of one
// event-loop turn go out as one NOTIFY).
import { EventEmitter } from 'node:events';
import pg from 'pg';

export type Signal = 'wake' | 'run' | 'cancel' | 'webhooks' | 'revocations';
const SIGNALS: ReadonlySet<string> = new Set(['wake', 'run', 'cancel', 'webhooks', 'revocations']);

export interface Notifier {
  publish(signal: Signal, payload?: string): void;
  on(signal: Signal, listener: (payload: string) => void): void;
  off(signal: Signal, listener: (payload: string) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class LocalNotifier implements Notifier {
  protected readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(signal: Signal, payload = ''): void {
    this.emitter.emit(signal, payload);
  }
  on(signal: Signal, listener: (payload: string) => void): void {
    this.emitter.on(signal, listener);
  }
  off(signal: Signal, listener: (payload: string) => void): void {
    this.emitter.off(signal, listener);
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** NOTIFY's payload limit is 8000 bytes; batches stay well under it. */
const MAX_BATCH = 6000;

export class PostgresNotifier extends LocalNotifier {
  readonly #url: string;
  readonly #node: string;
  readonly #onError: (error: Error) => void;
  readonly #timeoutMs: number;
  #channel = '';
  #listener: pg.Client | undefined;
  #sender: pg.Client | undefined;
  #outbox: string[] = [];
  #stopped = false;

  /**
   * `node`: this node's id, so it does not hear its own notifications twice.
   * `onError` hears of each lost connection once; it is then made again every second until it works.
   */
  constructor(databaseUrl: string, node: string, onError: (error: Error) => void = () => {}, timeoutMs = 10_000) {
    super();
    this.#url = databaseUrl;
    this.#node = node;
    this.#onError = onError;
    this.#timeoutMs = timeoutMs;
  }

  override publish(signal: Signal, payload = ''): void {
    super.publish(signal, payload);
    if (this.#stopped) return;
    if (this.#outbox.length === 0) setImmediate(() => void this.#flush());
    this.#outbox.push(`${signal} ${payload}`);
  }

  override start(): Promise<void> {
    return this.#connect();
  }

  async #connect(): Promise<void> {
    const options = { connectionString: this.#url, connectionTimeoutMillis: this.#timeoutMs, query_timeout: this.#timeoutMs, keepAlive: true };
    const listener = new pg.Client(options);
    const sender = new pg.Client(options);
    const lost = (error?: Error) => this.#lost(listener, sender, error);
    for (const client of [listener, sender]) {
      client.on('error', lost);
      client.on('end', () => lost());
    }
    try {
      await Promise.all([listener.connect(), sender.connect()]);
      // One channel per schema: servers sharing a database in other schemas are not told.
      const { rows } = await listener.query<{ schema: string }>('select current_schema() as schema');
      this.#channel = `gatehouse_${(rows[0]?.schema ?? 'public').replace(/[^a-z0-9_]/gi, '_')}`.slice(0, 63);
      listener.on('notification', (message) => this.#heard(message));
      await listener.query(`LISTEN ${this.#channel}`);
    } catch (error) {
      await Promise.allSettled([listener.end(), sender.end()]);
      throw error;
    }
    if (this.#stopped) {
      await Promise.allSettled([listener.end(), sender.end()]);
      return;
    }
    this.#listener = listener;
    this.#sender = sender;
  }

  #heard(message: pg.Notification): void {
    if (message.channel !== this.#channel || !message.payload) return;
    const [from, ...lines] = message.payload.split('\n');
    if (from === this.#node) return;
    for (const line of lines) {
      const space = line.indexOf(' ');
      const signal = line.slice(0, space);
      if (SIGNALS.has(signal)) super.publish(signal as Signal, line.slice(space + 1));
    }
  }

  /** A connection was lost (a database restart, a network cut): told once, then connected again every second. */
  #lost(listener: pg.Client, sender: pg.Client, error?: Error): void {
    if (this.#stopped || this.#listener !== listener) return;
    this.#listener = undefined;
    this.#sender = undefined;
    void Promise.allSettled([listener.end(), sender.end()]);
    this.#onError(error ?? new Error('Connection terminated'));
    const retry = () => setTimeout(() => {
      if (this.#stopped) return;
      // What other nodes said meanwhile is lost: the workers look for due work themselves.
      this.#connect().then(() => {
        super.publish('wake');
        super.publish('webhooks');
      }, retry);
    }, 1000).unref();
    retry();
  }

  override async stop(): Promise<void> {
    // What was published last (a CLI's cancel, say) goes out before the connection closes.
    if (this.#outbox.length > 0) await this.#flush();
    this.#stopped = true;
    await Promise.allSettled([this.#listener?.end(), this.#sender?.end()]);
  }

  async #flush(): Promise<void> {
    const lines = [...new Set(this.#outbox)];
    this.#outbox = [];
    let batch: string[] = [];
    let size = 0;
    const send = async () => {
      if (batch.length === 0 || !this.#sender) return;
      const text = [this.#node, ...batch].join('\n');
      batch = [];
      size = 0;
      await this.#sender.query('select pg_notify($1, $2)', [this.#channel, text]).catch((error: Error) => this.#onError(error));
    };
    for (const line of lines) {
      if (size + line.length > MAX_BATCH) await send();
      batch.push(line);
      size += line.length + 1;
    }
    await send();
  }
}
