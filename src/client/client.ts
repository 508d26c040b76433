// An OAuth client (an application) and its repository.

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
  /** Whether the user who registered it is disabled (read from the users table; ignored on insert). */
  ownerDisabled: boolean;
}

/** The settings of a client that can change after it is registered. */
export interface ClientChange {
  name: string;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  defaultScopes: string[];
  at: string;
}

export interface ClientRepository {
  insert(client: Client): Promise<void>;
  findById(clientId: string): Promise<Client | undefined>;
  /** Matches the current or the previous secret's hash. */
  findBySecretHash(secretHash: string): Promise<Client | undefined>;
  list(): Promise<Client[]>;
  /** The clients of one workspace, oldest first. */
  listInWorkspace(workspaceId: string): Promise<Client[]>;
  /** The ids of the clients a user registered. */
  idsCreatedBy(userId: string): Promise<string[]>;
  /** Changes the editable settings in one UPDATE; false if there is no such client. */
  update(clientId: string, change: ClientChange): Promise<boolean>;
  updateSecret(
    clientId: string,
    change: { secretHash: string; previousSecretHash: string | null; previousSecretExpiresAt: string | null; at: string },
  ): Promise<boolean>;
  delete(clientId: string): Promise<boolean>;
}
