import type { JsonWebKey } from 'node:crypto';
// The one storage interface that services use. KyselyStore implements it for
// both SQLite and PostgreSQL.

export interface User {
  id: string;
  email: string;
  passwordHash: string | null;
  isAdmin: boolean;
  disabledAt: string | null;
  createdAt: string;
}

export interface Workspace {
  id: string;
  name: string;
  personalOwnerId: string | null;
  createdAt: string;
}

export interface Client {
  clientId: string;
  workspaceId: string;
  createdBy: string;
  name: string;
  secretHash: string | null;
  previousSecretHash: string | null;
  previousSecretExpiresAt: string | null;
  isPublic: boolean;
  firstParty: boolean;
  requirePkce: boolean;
  grantTypes: string[];
  scopes: string[];
  defaultScopes: string[];
  redirectUris: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Process {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  createdAt: string;
  modifiedAt: string;
  modifiedBy: string;
}

export interface SigningKey {
  kid: string;
  alg: string;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
  createdAt: string;
  retiredAt: string | null;
}

export interface UserRepository {
  insert(user: User): Promise<void>;
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  list(): Promise<User[]>;
}

export interface WorkspaceRepository {
  insert(workspace: Workspace): Promise<void>;
  addMember(workspaceId: string, userId: string, role: string, at: string): Promise<void>;
  findPersonal(userId: string): Promise<Workspace | undefined>;
}

export interface ClientRepository {
  insert(client: Client): Promise<void>;
  findById(clientId: string): Promise<Client | undefined>;
  list(): Promise<Client[]>;
  updateSecret(
    clientId: string,
    change: { secretHash: string; previousSecretHash: string | null; previousSecretExpiresAt: string | null; at: string },
  ): Promise<boolean>;
  delete(clientId: string): Promise<boolean>;
}

export interface ProcessPage {
  items: Process[];
  nextCursor: string | null;
}

export interface ProcessRepository {
  insert(process: Process): Promise<void>;
  findInWorkspace(workspaceId: string, id: string): Promise<Process | undefined>;
  /** Keyset pagination by id: `after` is the last id of the previous page. */
  listInWorkspace(workspaceId: string, limit: number, after: string | null): Promise<ProcessPage>;
}

export interface SigningKeyRepository {
  insert(key: SigningKey): Promise<void>;
  listActive(): Promise<SigningKey[]>;
}

export interface Store {
  users: UserRepository;
  workspaces: WorkspaceRepository;
  clients: ClientRepository;
  processes: ProcessRepository;
  signingKeys: SigningKeyRepository;
  /** Runs `work` in one transaction: every change it makes lands, or none does. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}
