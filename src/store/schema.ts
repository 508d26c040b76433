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
  retired_at: string | null;
}

export interface Database {
  users: UsersTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  clients: ClientsTable;
  processes: ProcessesTable;
  signing_keys: SigningKeysTable;
}
