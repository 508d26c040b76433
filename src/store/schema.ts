import type { Generated } from 'kysely';

// Table types for Kysely. Both dialects store the same shapes: timestamps are
// ISO-8601 text, flags are 0/1 integers and lists are JSON text, so one set of
// queries serves SQLite and PostgreSQL alike.

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string | null;
  is_admin: number;
  disabled_at: string | null;
  created_at: string;
}

/** Every resource belongs to a workspace; each user has a personal one, teams come later. */
export interface WorkspacesTable {
  id: string;
  name: string;
  /** Set for a user's personal workspace, null for a shared (team) one. */
  personal_owner_id: string | null;
  created_at: string;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: string;
  created_at: string;
}

export interface ClientsTable {
  client_id: string;
  workspace_id: string;
  created_by: string;
  name: string;
  secret_hash: string | null;
  previous_secret_hash: string | null;
  previous_secret_expires_at: string | null;
  is_public: number;
  first_party: number;
  require_pkce: number;
  grant_types: string;
  scopes: string;
  default_scopes: string;
  redirect_uris: string;
  created_at: string;
  updated_at: string;
}

export interface ProcessesTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  created_at: string;
  modified_at: string;
  modified_by: string;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created_at: string;
  activates_at: string | null;
  retired_at: string | null;
  removes_at: string | null;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  user_agent: string | null;
  ip: string | null;
  last_seen_at: string | null;
}

export interface PasswordResetsTable {
  token_hash: string;
  user_id: string;
  /** The admin's user id, or `cli`. */
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Random keys the whole cluster shares, made once (e.g. for pre-session CSRF tokens). */
export interface ServerSecretsTable {
  name: string;
  value: string;
  created_at: string;
}

export interface ConsentsTable {
  user_id: string;
  client_id: string;
  scopes: string;
  created_at: string;
  updated_at: string;
}

export interface AuthorizationsTable {
  id: string;
  user_id: string;
  client_id: string;
  workspace_id: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
  refresh_handle: string | null;
  refresh_hash: string | null;
  refresh_previous_hash: string | null;
  refresh_rotated_at: string | null;
  refresh_nonce: string | null;
  refresh_issued_at: string | null;
  refresh_expires_at: string | null;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  authorization_id: string;
  client_id: string;
  redirect_uri: string;
  redirect_uri_sent: number;
  code_challenge: string | null;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

export interface RevocationsTable {
  id: string;
  kind: string;
  value: string;
  created_at: string;
  expires_at: string;
}

export interface AttemptCountersTable {
  key: string;
  count: number;
  window_ends_at: string;
}

export interface PersonalAccessTokensTable {
  id: string;
  user_id: string;
  workspace_id: string;
  name: string;
  token_hash: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface DeviceAuthorizationsTable {
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scopes: string;
  status: string;
  user_id: string | null;
  interval_seconds: number;
  last_polled_at: string | null;
  expires_at: string;
  created_at: string;
}

export interface ProcessStepsTable {
  id: string;
  process_id: string;
  workspace_id: string;
  position: number;
  name: string;
  kind: string;
  config: string;
  timeout_seconds: number | null;
  retry_max_attempts: number;
  retry_backoff_seconds: number;
  created_at: string;
  updated_at: string;
}

export interface ProcessRunsTable {
  id: string;
  process_id: string;
  workspace_id: string;
  name: string;
  status: string;
  input: string;
  data: string;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  due_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
}

export interface StepRunsTable {
  id: string;
  run_id: string;
  step_id: string;
  position: number;
  name: string;
  kind: string;
  config: string;
  timeout_seconds: number | null;
  retry_max_attempts: number;
  retry_backoff_seconds: number;
  status: string;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  completion_message: string | null;
  output: string | null;
  wait_until: string | null;
  idempotency_key: string;
}

export interface RunEventsTable {
  id: Generated<number>;
  run_id: string;
  workspace_id: string;
  at: string;
  type: string;
  step_run_id: string | null;
  step_id: string | null;
  attempt: number | null;
  message: string | null;
  data: string | null;
}

export interface RunSignalsTable {
  id: string;
  run_id: string;
  step_run_id: string;
  kind: string;
  comment: string | null;
  decided_by: string;
  at: string;
}

export interface WebhookEndpointsTable {
  id: string;
  workspace_id: string;
  url: string;
  description: string;
  events: string;
  secret_ciphertext: string;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
}

export interface WebhookMessagesTable {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  event_type: string;
  payload: string;
  created_at: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  delivered_at: string | null;
  last_error: string | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  message_id: string;
  endpoint_id: string;
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** The audit log (audit/audit-event.ts): who did what, when, from where; never a secret. */
export interface AuditEventsTable {
  id: string;
  at: string;
  action: string;
  actor_kind: string;
  actor_id: string | null;
  client_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  request_id: string | null;
  /** A JSON object of facts about the action. */
  detail: string;
}

export interface Database {
  users: UsersTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  clients: ClientsTable;
  processes: ProcessesTable;
  signing_keys: SigningKeysTable;
  sessions: SessionsTable;
  consents: ConsentsTable;
  authorizations: AuthorizationsTable;
  authorization_codes: AuthorizationCodesTable;
  revocations: RevocationsTable;
  attempt_counters: AttemptCountersTable;
  personal_access_tokens: PersonalAccessTokensTable;
  device_authorizations: DeviceAuthorizationsTable;
  password_resets: PasswordResetsTable;
  server_secrets: ServerSecretsTable;
  process_steps: ProcessStepsTable;
  process_runs: ProcessRunsTable;
  step_runs: StepRunsTable;
  run_events: RunEventsTable;
  run_signals: RunSignalsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_messages: WebhookMessagesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  audit_events: AuditEventsTable;
}
