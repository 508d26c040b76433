// Sends the outbox's messages: each signed per the Standard Webhooks spec
// (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 over
// "id.timestamp.body"), through the guarded outbound client, every attempt
// logged. A 2xx ends it; anything else is retried on the configured schedule
// (5 s, 30 s, 2 min, … by default), and after the last try the message is
// marked failed. Messages are claimed on a lease like runs, so each is sent by
// one node at a time.
import { Webhook } from 'standardwebhooks';
import type { Store } from '../store/store.ts';
import { isoTime, newId } from '../ids.ts';
import type { OutboundHttp } from '../net/outbound.ts';
import type { Notifier } from '../runs/notifier.ts';
import { ClaimLoop } from '../workers/claim-loop.ts';
import type { WebhookEndpoint, WebhookMessage } from './webhook.ts';

const TIMEOUT_MS = 10_000;

/** A delivery attempt's outcome: failed means a retry is scheduled; given_up, that none is left (or the endpoint is disabled). */
export type DeliveryOutcome = 'delivered' | 'failed' | 'given_up';

/** Counts delivery attempts by outcome (metrics). */
export interface DeliveryCounter {
  inc(labels: { outcome: DeliveryOutcome }): void;
}

export interface DispatcherOptions {
  node: string;
  /** Seconds to wait before each retry; its length is how many retries a message gets. */
  retrySchedule: number[];
  leaseMs: number;
  concurrency: number;
  pollMs: number;
  userAgent: string;
}

export class WebhookDispatcher {
  readonly #store: Store;
  readonly #http: OutboundHttp;
  readonly #secretOf: (endpoint: WebhookEndpoint) => string;
  readonly #notifier: Notifier;
  readonly #options: DispatcherOptions;
  readonly #loop: ClaimLoop<WebhookMessage>;
  readonly #onWake = () => this.#loop.poke();
  readonly #deliveries: DeliveryCounter | undefined;

  constructor(deps: { store: Store; http: OutboundHttp; secretOf: (endpoint: WebhookEndpoint) => string; notifier: Notifier; log: { error(details: object, message: string): void }; deliveries?: DeliveryCounter }, options: DispatcherOptions) {
    this.#store = deps.store;
    this.#deliveries = deps.deliveries;
    this.#http = deps.http;
    this.#secretOf = deps.secretOf;
    this.#notifier = deps.notifier;
    this.#options = options;
    this.#loop = new ClaimLoop<WebhookMessage>({
      concurrency: options.concurrency,
      pollMs: options.pollMs,
      claim: (free) => {
        const now = Date.now();
        return this.#store.webhooks.claimMessages(options.node, isoTime(now), isoTime(now + options.leaseMs), free);
      },
      handle: (message, signal) => this.#deliver(message, signal),
      idOf: (message) => message.id,
      onError: (error) => deps.log.error({ err: error }, 'the webhook dispatcher met an error'),
    });
  }

  start(): void {
    this.#notifier.on('webhooks', this.#onWake);
    this.#loop.start();
  }

  async stop(deadlineMs: number): Promise<void> {
    this.#notifier.off('webhooks', this.#onWake);
    await this.#loop.stop(deadlineMs);
  }

  async #deliver(message: WebhookMessage, signal: AbortSignal): Promise<void> {
    const endpoint = await this.#store.webhooks.findEndpoint(message.workspaceId, message.endpointId);
    // Deleted meanwhile: its messages went with it.
    if (!endpoint) return;
    const attempt = message.attempts + 1;
    const at = new Date();
    let statusCode: number | null = null;
    let error: string | null = null;
    if (endpoint.disabledAt !== null) {
      error = 'the endpoint is disabled';
    } else {
      try {
        const signature = new Webhook(this.#secretOf(endpoint)).sign(message.id, at, message.payload);
        const response = await this.#http.request({
          method: 'POST',
          url: endpoint.url,
          headers: {
            'content-type': 'application/json',
            'user-agent': this.#options.userAgent,
            'webhook-id': message.id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body: message.payload,
          signal,
          timeoutMs: TIMEOUT_MS,
          maxBodyBytes: 4096,
        });
        statusCode = response.status;
        if (statusCode < 200 || statusCode > 299) error = `answered ${statusCode}`;
      } catch (e) {
        error = (e as Error).message.slice(0, 500);
      }
    }
    const durationMs = Date.now() - at.getTime();
    const delivered = error === null;
    const retryIn = this.#options.retrySchedule[attempt - 1];
    const next: WebhookMessage = {
      ...message,
      attempts: attempt,
      status: delivered ? 'delivered' : retryIn === undefined || endpoint.disabledAt !== null ? 'failed' : 'pending',
      nextAttemptAt: delivered || retryIn === undefined || endpoint.disabledAt !== null ? null : isoTime(Date.now() + retryIn * 1000),
      leaseOwner: null,
      leaseExpiresAt: null,
      deliveredAt: delivered ? isoTime(Date.now()) : null,
      lastError: error,
    };
    const delivery = { id: newId('wd-'), messageId: message.id, endpointId: message.endpointId, attempt, at: at.toISOString(), statusCode, error, durationMs };
    await this.#store.transaction(async (tx) => {
      await tx.webhooks.insertDelivery(delivery);
      await tx.webhooks.saveMessage(next);
    });
    // Counted once recorded: an attempt whose record was lost is made again, and counted then.
    this.#deliveries?.inc({ outcome: delivered ? 'delivered' : next.status === 'failed' ? 'given_up' : 'failed' });
  }
}
