// Webhook endpoints of a workspace: register, change, rotate the secret (shown
// once; kept encrypted, since it signs every delivery), delete; the messages
// a run's changes cause (RunWriter asks, inside its transaction's change);
// test deliveries, the delivery log, and redelivery.
import type { Store } from '../store/store.ts';
import { NotFoundError, ValidationError, type FieldError } from '../errors.ts';
import { isoTime, newId, newSortableId } from '../ids.ts';
import { ReadCache } from '../store/read-cache.ts';
import { randomToken } from '../security/secrets.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { ChangeFeed } from '../feed/change-feed.ts';
import { OutboundRefused, type OutboundHttp } from '../net/outbound.ts';
import type { Run } from '../runs/run.ts';
import { toRunJson } from '../runs/run-json.ts';
import type { WebhookOutbox } from '../runs/run-writer.ts';
import type { Notifier } from '../runs/notifier.ts';
import { TEST_EVENT, WEBHOOK_EVENTS, type WebhookDelivery, type WebhookEndpoint, type WebhookEventType, type WebhookMessage } from './webhook.ts';

export const MAX_ENDPOINTS = 20;

export interface EndpointInput {
  url: string;
  events: string[];
  description?: string;
}

export interface EndpointPatch {
  url?: string;
  events?: string[];
  description?: string;
  disabled?: boolean;
}

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
const newSecret = (): string => `whsec_${Buffer.from(randomToken(32), 'base64url').toString('base64')}`;

export class WebhookService implements WebhookOutbox {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #changes: ChangeFeed;
  readonly #outbound: Pick<OutboundHttp, 'check'>;
  readonly #notifier: Notifier;
  /** A workspace's endpoints, for the hot path of every run's state change. */
  readonly #cache = new ReadCache<WebhookEndpoint[]>({ ttlMs: 30_000, size: 10_000 });

  constructor(deps: { store: Store; box: SecretBox; changes: ChangeFeed; outbound: Pick<OutboundHttp, 'check'>; notifier: Notifier }) {
    this.#store = deps.store;
    this.#box = deps.box;
    this.#changes = deps.changes;
    this.#outbound = deps.outbound;
    this.#notifier = deps.notifier;
    this.#changes.onChange('webhooks_changed', (workspaceId) => this.#cache.delete(workspaceId));
  }

  list(workspaceId: string): Promise<WebhookEndpoint[]> {
    return this.#store.webhooks.listEndpoints(workspaceId);
  }

  async get(workspaceId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.#store.webhooks.findEndpoint(workspaceId, id);
    if (!endpoint) throw new NotFoundError(`webhook endpoint ${id} not found`);
    return endpoint;
  }

  /** Registers an endpoint; its secret is returned this once. */
  async create(workspaceId: string, input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const errors = this.#problems(input);
    if (errors.length > 0) throw new ValidationError(errors);
    if ((await this.list(workspaceId)).length >= MAX_ENDPOINTS) throw new ValidationError([{ field: 'url', message: `a workspace has at most ${MAX_ENDPOINTS} endpoints` }]);
    const secret = newSecret();
    const at = isoTime(Date.now());
    const endpoint: WebhookEndpoint = {
      id: newId('we-'),
      workspaceId,
      url: input.url,
      description: (input.description ?? '').trim(),
      events: [...new Set(input.events)] as WebhookEventType[],
      secretCiphertext: this.#box.seal(secret),
      createdAt: at,
      updatedAt: at,
      disabledAt: null,
    };
    await this.#store.transaction(async (tx) => {
      await tx.webhooks.insertEndpoint(endpoint);
      await this.#changed(workspaceId, tx);
    });
    return { endpoint, secret };
  }

  async update(workspaceId: string, id: string, patch: EndpointPatch): Promise<WebhookEndpoint> {
    const current = await this.get(workspaceId, id);
    const next = { url: patch.url ?? current.url, events: patch.events ?? current.events, description: patch.description ?? current.description };
    const errors = this.#problems(next);
    if (errors.length > 0) throw new ValidationError(errors);
    const at = isoTime(Date.now());
    const endpoint: WebhookEndpoint = {
      ...current,
      ...next,
      description: next.description.trim(),
      events: [...new Set(next.events)] as WebhookEventType[],
      updatedAt: at,
      disabledAt: patch.disabled === undefined ? current.disabledAt : patch.disabled ? (current.disabledAt ?? at) : null,
    };
    await this.#store.transaction(async (tx) => {
      await tx.webhooks.updateEndpoint(endpoint);
      await this.#changed(workspaceId, tx);
    });
    return endpoint;
  }

  /** A new secret, returned this once; the old one stops signing at once. */
  async rotateSecret(workspaceId: string, id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const current = await this.get(workspaceId, id);
    const secret = newSecret();
    const endpoint = { ...current, secretCiphertext: this.#box.seal(secret), updatedAt: isoTime(Date.now()) };
    await this.#store.webhooks.updateEndpoint(endpoint);
    return { endpoint, secret };
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      if (!(await tx.webhooks.deleteEndpoint(workspaceId, id))) throw new NotFoundError(`webhook endpoint ${id} not found`);
      await this.#changed(workspaceId, tx);
    });
  }

  /** The endpoint's signing secret, for the dispatcher. */
  secretOf(endpoint: WebhookEndpoint): string {
    return this.#box.open(endpoint.secretCiphertext);
  }

  async messagesFor(run: Run, types: WebhookEventType[], at: string): Promise<WebhookMessage[]> {
    let endpoints = this.#cache.get(run.workspaceId);
    if (!endpoints) {
      endpoints = await this.#store.webhooks.listEndpoints(run.workspaceId);
      this.#cache.set(run.workspaceId, endpoints);
    }
    const messages: WebhookMessage[] = [];
    for (const type of types) {
      for (const endpoint of endpoints) {
        if (endpoint.disabledAt !== null || !endpoint.events.includes(type)) continue;
        messages.push(newMessage(endpoint, type, { type, timestamp: at, data: toRunJson(run) }, at));
      }
    }
    return messages;
  }

  /** Queues a test message to the endpoint, delivered like any other. */
  async sendTest(workspaceId: string, id: string): Promise<WebhookMessage> {
    const endpoint = await this.get(workspaceId, id);
    const at = isoTime(Date.now());
    const message = newMessage(endpoint, TEST_EVENT, { type: TEST_EVENT, timestamp: at, data: { endpointId: endpoint.id, message: 'a test delivery from Gatehouse' } }, at);
    await this.#store.webhooks.insertMessages([message]);
    this.#notifier.publish('webhooks');
    return message;
  }

  /** The endpoint's latest messages, each with its delivery attempts. */
  async log(workspaceId: string, id: string, limit = 50): Promise<Array<WebhookMessage & { deliveries: WebhookDelivery[] }>> {
    await this.get(workspaceId, id);
    const messages = await this.#store.webhooks.listMessages(id, limit);
    return Promise.all(messages.map(async (m) => ({ ...m, deliveries: await this.#store.webhooks.deliveries(m.id) })));
  }

  /** Sends a message again, now (its id stays the same, as receivers expect). */
  async redeliver(workspaceId: string, endpointId: string, messageId: string): Promise<WebhookMessage> {
    const message = await this.#store.webhooks.findMessage(workspaceId, messageId);
    if (!message || message.endpointId !== endpointId) throw new NotFoundError(`message ${messageId} not found`);
    const again: WebhookMessage = { ...message, status: 'pending', nextAttemptAt: isoTime(Date.now()), leaseOwner: null, leaseExpiresAt: null };
    await this.#store.webhooks.saveMessage(again);
    this.#notifier.publish('webhooks');
    return again;
  }

  #problems(input: { url: unknown; events: unknown; description?: unknown }): FieldError[] {
    const errors: FieldError[] = [];
    if (typeof input.url !== 'string' || input.url.length > 2000) errors.push({ field: 'url', message: 'must be an http(s) URL of at most 2000 characters' });
    else {
      try {
        this.#outbound.check(input.url);
      } catch (error) {
        if (!(error instanceof OutboundRefused)) throw error;
        errors.push({ field: 'url', message: error.message });
      }
    }
    if (!Array.isArray(input.events) || input.events.length === 0 || input.events.some((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e))) {
      errors.push({ field: 'events', message: `must be a list of at least one of ${WEBHOOK_EVENTS.join(', ')}` });
    }
    if (input.description !== undefined && (typeof input.description !== 'string' || input.description.length > 500)) errors.push({ field: 'description', message: 'must be at most 500 characters' });
    return errors;
  }

  async #changed(workspaceId: string, store: Store): Promise<void> {
    this.#cache.delete(workspaceId);
    await this.#changes.announce('webhooks_changed', workspaceId, store);
  }
}

function newMessage(endpoint: WebhookEndpoint, type: WebhookMessage['eventType'], body: object, at: string): WebhookMessage {
  return {
    id: newSortableId('msg_'),
    workspaceId: endpoint.workspaceId,
    endpointId: endpoint.id,
    eventType: type,
    payload: JSON.stringify(body),
    createdAt: at,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    leaseOwner: null,
    leaseExpiresAt: null,
    deliveredAt: null,
    lastError: null,
  };
}
