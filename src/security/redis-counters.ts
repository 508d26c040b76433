// Attempt counters in Redis (REDIS_URL), so that sign-in, password-grant and
// client-authentication limits hold across nodes without a database write
// per attempt. Each operation is one Lua script, atomic in Redis; a window is
// a key's time to live. Commands fail at once while Redis is unreachable (no
// offline queue): FailSafeCounters then counts in memory instead.
import { Redis } from 'ioredis';
import type { AttemptCounterRepository } from './attempt-counter.ts';

// KEYS[1] counter; ARGV[1] window ms. Returns {count, ms left in the window}.
const HIT = `local c = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`;
const UNDO = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if c > 0 then redis.call('DECR', KEYS[1]) end
return 0`;
// ARGV[1] ms from now the window must last at least.
const EXTEND = `local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[1]) then
  if ttl == -2 then redis.call('SET', KEYS[1], 0) end
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 0`;

export interface RedisOptions {
  url: string;
  /** Put before every key, so that several installations can share one Redis. */
  prefix: string;
  /** The longest a command may take, ms. */
  timeoutMs: number;
}

export class RedisAttemptCounters implements AttemptCounterRepository {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: RedisOptions) {
    this.#prefix = options.prefix;
    this.#timeoutMs = options.timeoutMs;
    this.#redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
      lazyConnect: false,
      // Reconnect every second for as long as it takes.
      retryStrategy: () => 1000,
    });
    // Failures reach the caller of each command; the client itself must not crash the process.
    this.#redis.on('error', () => {});
  }

  /** Waits (a little) for a connection being made: at start, or after Redis came back. */
  async #ready(): Promise<void> {
    if (this.#redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#redis.off('ready', ready);
        reject(new Error(`Redis is not connected (${this.#redis.status})`));
      }, this.#timeoutMs);
      const ready = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#redis.once('ready', ready);
    });
  }

  async hit(key: string, now: string, windowEndsAt: string): Promise<{ count: number; windowEndsAt: string }> {
    await this.#ready();
    const nowMs = Date.parse(now);
    const [count, ttl] = await this.#redis.eval(HIT, 1, this.#prefix + key, Math.max(1, Date.parse(windowEndsAt) - nowMs)) as [number, number];
    return { count, windowEndsAt: new Date(nowMs + ttl).toISOString() };
  }

  async undo(key: string): Promise<void> {
    await this.#ready();
    await this.#redis.eval(UNDO, 1, this.#prefix + key);
  }

  async reset(key: string): Promise<void> {
    await this.#ready();
    await this.#redis.del(this.#prefix + key);
  }

  async windowEnd(key: string, now: string): Promise<string | undefined> {
    await this.#ready();
    const ttl = await this.#redis.pttl(this.#prefix + key);
    return ttl > 0 ? new Date(Date.parse(now) + ttl).toISOString() : undefined;
  }

  async extend(key: string, until: string): Promise<void> {
    await this.#ready();
    await this.#redis.eval(EXTEND, 1, this.#prefix + key, Math.max(1, Date.parse(until) - Date.now()));
  }

  /** Whether Redis answers now. */
  async ping(): Promise<void> {
    await this.#ready();
    await this.#redis.ping();
  }

  close(): void {
    this.#redis.disconnect();
  }
}
