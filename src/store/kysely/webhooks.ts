// WebhookRepository on Kysely: endpoints, the outbox of messages, and the
// delivery log. Messages are claimed like runs (FOR UPDATE SKIP LOCKED on
// PostgreSQL), so each is sent by one node at a time.
import type { Kysely, Selectable } from 'kysely';
import type { Database, WebhookDeliveriesTable, WebhookEndpointsTable, WebhookMessagesTable } from '../schema.ts';
import type { Dialect } from '../connect.ts';
import type {
  MessageStatus, WebhookDelivery, WebhookEndpoint, WebhookEventType, WebhookMessage, WebhookRepository,
} from '../../webhooks/webhook.ts';
import { json, list } from './columns.ts';

const toEndpoint = (row: Selectable<WebhookEndpointsTable>): WebhookEndpoint => ({
  id: row.id,
  workspaceId: row.workspace_id,
  url: row.url,
  description: row.description,
  events: list(row.events) as WebhookEventType[],
  secretCiphertext: row.secret_ciphertext,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  disabledAt: row.disabled_at,
});

const endpointRow = (e: WebhookEndpoint) => ({
  id: e.id,
  workspace_id: e.workspaceId,
  url: e.url,
  description: e.description,
  events: json(e.events),
  secret_ciphertext: e.secretCiphertext,
  created_at: e.createdAt,
  updated_at: e.updatedAt,
  disabled_at: e.disabledAt,
});

const toMessage = (row: Selectable<WebhookMessagesTable>): WebhookMessage => ({
  id: row.id,
  workspaceId: row.workspace_id,
  endpointId: row.endpoint_id,
  eventType: row.event_type as WebhookMessage['eventType'],
  payload: row.payload,
  createdAt: row.created_at,
  status: row.status as MessageStatus,
  attempts: Number(row.attempts),
  nextAttemptAt: row.next_attempt_at,
  leaseOwner: row.lease_owner,
  leaseExpiresAt: row.lease_expires_at,
  deliveredAt: row.delivered_at,
  lastError: row.last_error,
});

/** A message's row (also written by Runs.commitLeased, with the run's change). */
export const messageRow = (m: WebhookMessage) => ({
  id: m.id,
  workspace_id: m.workspaceId,
  endpoint_id: m.endpointId,
  event_type: m.eventType,
  payload: m.payload,
  created_at: m.createdAt,
  status: m.status,
  attempts: m.attempts,
  next_attempt_at: m.nextAttemptAt,
  lease_owner: m.leaseOwner,
  lease_expires_at: m.leaseExpiresAt,
  delivered_at: m.deliveredAt,
  last_error: m.lastError,
});

const toDelivery = (row: Selectable<WebhookDeliveriesTable>): WebhookDelivery => ({
  id: row.id,
  messageId: row.message_id,
  endpointId: row.endpoint_id,
  attempt: Number(row.attempt),
  at: row.at,
  statusCode: row.status_code === null ? null : Number(row.status_code),
  error: row.error,
  durationMs: Number(row.duration_ms),
});

export class Webhooks implements WebhookRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }
  async insertEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    await this.#db.insertInto('webhook_endpoints').values(endpointRow(endpoint)).execute();
  }
  async updateEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    const { id: _id, workspace_id: _w, created_at: _c, ...row } = endpointRow(endpoint);
    await this.#db.updateTable('webhook_endpoints').set(row).where('id', '=', endpoint.id).execute();
  }
  async deleteEndpoint(workspaceId: string, id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('webhook_endpoints').where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
  async findEndpoint(workspaceId: string, id: string): Promise<WebhookEndpoint | undefined> {
    const row = await this.#db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    return row && toEndpoint(row);
  }
  async listEndpoints(workspaceId: string): Promise<WebhookEndpoint[]> {
    const rows = await this.#db.selectFrom('webhook_endpoints').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toEndpoint);
  }
  async subscribers(workspaceId: string, eventType: WebhookEventType): Promise<WebhookEndpoint[]> {
    // Few endpoints per workspace: the event filter is applied here rather than on JSON in SQL, the same on both dialects.
    return (await this.listEndpoints(workspaceId)).filter((e) => e.disabledAt === null && e.events.includes(eventType));
  }
  async insertMessages(messages: WebhookMessage[]): Promise<void> {
    if (messages.length > 0) await this.#db.insertInto('webhook_messages').values(messages.map(messageRow)).execute();
  }
  async claimMessages(owner: string, now: string, leaseUntil: string, limit: number): Promise<WebhookMessage[]> {
    const rows = await this.#db.updateTable('webhook_messages')
      .set({ lease_owner: owner, lease_expires_at: leaseUntil })
      .where('id', 'in', (eb) => {
        let due = eb.selectFrom('webhook_messages').select('id')
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
          .orderBy('next_attempt_at').limit(limit);
        if (this.#dialect === 'postgres') due = due.forUpdate().skipLocked();
        return due;
      })
      .returningAll()
      .execute();
    return rows.map(toMessage);
  }
  async saveMessage(message: WebhookMessage): Promise<void> {
    const { id: _id, workspace_id: _w, endpoint_id: _e, event_type: _t, payload: _p, created_at: _c, ...row } = messageRow(message);
    await this.#db.updateTable('webhook_messages').set(row).where('id', '=', message.id).execute();
  }
  async findMessage(workspaceId: string, id: string): Promise<WebhookMessage | undefined> {
    const row = await this.#db.selectFrom('webhook_messages').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    return row && toMessage(row);
  }
  async listMessages(endpointId: string, limit: number): Promise<WebhookMessage[]> {
    const rows = await this.#db.selectFrom('webhook_messages').selectAll().where('endpoint_id', '=', endpointId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toMessage);
  }
  async insertDelivery(delivery: WebhookDelivery): Promise<void> {
    await this.#db.insertInto('webhook_deliveries').values({
      id: delivery.id,
      message_id: delivery.messageId,
      endpoint_id: delivery.endpointId,
      attempt: delivery.attempt,
      at: delivery.at,
      status_code: delivery.statusCode,
      error: delivery.error,
      duration_ms: delivery.durationMs,
    }).execute();
  }
  async deliveries(messageId: string): Promise<WebhookDelivery[]> {
    const rows = await this.#db.selectFrom('webhook_deliveries').selectAll().where('message_id', '=', messageId).orderBy('attempt').execute();
    return rows.map(toDelivery);
  }
}
