// Minimal type declarations for oidc-provider, the benchmark's peer, which
// ships no types of its own (only what bench/ uses).

declare module 'oidc-provider' {
  import type { Server } from 'node:http';
  interface Client {
    clientId: string;
  }
  interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    /** Stores the grant; resolves to its id. */
    save(): Promise<string>;
  }
  interface RefreshToken {
    /** Stores the token; resolves to its value. */
    save(): Promise<string>;
  }
  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host: string, callback?: () => void): Server;
    on(event: string, listener: (...args: unknown[]) => void): this;
    Client: { find(id: string): Promise<Client | undefined> };
    Grant: new (properties: { accountId: string; clientId: string }) => Grant;
    RefreshToken: new (properties: Record<string, unknown> & { client: Client }) => RefreshToken;
  }
}
