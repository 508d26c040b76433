// Webhook endpoints a workspace registers, the outbox of messages for them
// (written in the same transaction as the state change they tell of), and
// the log of every delivery attempt.

export const WEBHOOK_EVENTS = ['run.started', 'run.finished', 'run.failed', 'run.cancelled', 'step.waiting'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
/** What "Send a test" delivers: not an event anyone subscribes to. */
export const TEST_EVENT = 'webhook.test';

export interface WebhookEndpoint {
  id: string;
  workspaceId: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  /** The signing secret (`whsec_…`), encrypted with the server's key: it must be used again to sign. */
  secretCiphertext: string;
  createdAt: string;
  updatedAt: string;
  disabledAt: string | null;
}

export type MessageStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookMessage {
  /** The Standard Webhooks `webhook-id`, the same on every attempt. */
  id: string;
  workspaceId: string;
  endpointId: string;
  eventType: WebhookEventType | typeof TEST_EVENT;
  /** The JSON body, exactly as signed. */
  payload: string;
  createdAt: string;
  status: MessageStatus;
  attempts: number;
  nextAttemptAt: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  deliveredAt: string | null;
  lastError: string | null;
}

export interface WebhookDelivery {
  id: string;
  messageId: string;
  endpointId: string;
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookRepository {
  insertEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  updateEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  deleteEndpoint(workspaceId: string, id: string): Promise<boolean>;
  findEndpoint(workspaceId: string, id: string): Promise<WebhookEndpoint | undefined>;
  listEndpoints(workspaceId: string): Promise<WebhookEndpoint[]>;
  /** The live endpoints of a workspace subscribed to `eventType`. */
  subscribers(workspaceId: string, eventType: WebhookEventType): Promise<WebhookEndpoint[]>;
  insertMessages(messages: WebhookMessage[]): Promise<void>;
  /** Takes up to `limit` due messages for `owner` until `leaseUntil`, atomically. */
  claimMessages(owner: string, now: string, leaseUntil: string, limit: number): Promise<WebhookMessage[]>;
  saveMessage(message: WebhookMessage): Promise<void>;
  findMessage(workspaceId: string, id: string): Promise<WebhookMessage | undefined>;
  /** An endpoint's latest messages, newest first. */
  listMessages(endpointId: string, limit: number): Promise<WebhookMessage[]>;
  insertDelivery(delivery: WebhookDelivery): Promise<void>;
  deliveries(messageId: string): Promise<WebhookDelivery[]>;
}
