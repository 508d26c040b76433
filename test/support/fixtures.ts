// Common set-up through the operator CLI: a user, a client, a process.
import type { TestServer } from './server.ts';

export interface ClientFixture {
  client_id: string;
  client_secret: string | null;
  workspace_id: string;
}

let counter = 0;
export const uniqueEmail = (label = 'user'): string => `${label}-${process.pid}-${++counter}@example.test`;

export async function createUser(server: TestServer, email = uniqueEmail(), password = 'correct horse battery'): Promise<{ email: string; password: string }> {
  await server.cliJson('users', 'create', '--email', email, '--password', password);
  return { email, password };
}

export async function createAdmin(server: TestServer, email = uniqueEmail('admin'), password = 'correct horse battery'): Promise<{ email: string; password: string }> {
  await server.cliJson('users', 'create', '--email', email, '--password', password, '--admin');
  return { email, password };
}

export async function createClient(server: TestServer, owner: string, ...flags: string[]): Promise<ClientFixture> {
  return server.cliJson<ClientFixture>('clients', 'create', '--owner', owner, '--name', 'Test app', ...flags);
}

export async function createProcess(server: TestServer, owner: string, name = 'Month-end close'): Promise<{ id: string; name: string }> {
  return server.cliJson('processes', 'create', '--owner', owner, '--name', name, '--description', 'Reconciles the ledger');
}

export async function clientCredentialsToken(server: TestServer, client: ClientFixture, scope?: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret ?? '' });
  if (scope) body.set('scope', scope);
  const response = await fetch(`${server.url}/oauth/token`, { method: 'POST', body });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
