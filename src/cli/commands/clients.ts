import type { Client } from '../../client/client.ts';
import type { Command } from '../command.ts';
import { operatorContext, output, parse, required, UsageError } from '../command.ts';
import { OPERATOR } from '../../client/client-service.ts';

// What the CLI shows of a client; never a secret or its hash.
const view = (c: Client) => ({
  client_id: c.clientId,
  name: c.name,
  workspace_id: c.workspaceId,
  public: c.isPublic,
  first_party: c.firstParty,
  require_pkce: c.requirePkce,
  grant_types: c.grantTypes,
  scopes: c.scopes,
  redirect_uris: c.redirectUris,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
});

const describe = (c: Client) => [
  `Client ID:     ${c.clientId}`,
  `Name:          ${c.name}`,
  `Type:          ${c.isPublic ? 'public' : 'confidential'}`,
  `Grants:        ${c.grantTypes.join(', ')}`,
  `Scopes:        ${c.scopes.join(' ')}`,
  `Redirect URIs: ${c.redirectUris.join(', ') || '(none)'}`,
].join('\n');

const SECRET_WARNING = 'Store the secret now: it is shown this once and cannot be shown again.';

export const clientsCreate: Command = {
  name: 'clients create',
  usage: 'clients create --owner E --name N [--redirect-uri U]… [--grant G]… [--scope S]… [--public] [--first-party] [--require-pkce] [--json]',
  async run(args, context) {
    const { values } = parse(args, {
      owner: { type: 'string' },
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      grant: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      public: { type: 'boolean' },
      'first-party': { type: 'boolean' },
      'require-pkce': { type: 'boolean' },
    });
    required(values, 'owner', 'name');
    const services = await context.services();
    const { user, workspaceId } = await services.users.personalWorkspaceOf(values.owner!);
    const { client, clientSecret } = await services.clients.create({
      workspaceId,
      createdBy: user.id,
      name: values.name!,
      redirectUris: values['redirect-uri'] ?? [],
      // Left out, grants and scopes get the service's defaults.
      grantTypes: values.grant,
      scopes: values.scope?.flatMap((s) => s.split(' ')).filter(Boolean),
      isPublic: values.public ?? false,
      firstParty: values['first-party'] ?? false,
      requirePkce: values['require-pkce'] ?? false,
    }, OPERATOR, operatorContext());
    output(context, values.json, { ...view(client), client_secret: clientSecret },
      `${describe(client)}\n${clientSecret ? `Client secret: ${clientSecret}\n\n${SECRET_WARNING}` : ''}`);
  },
};

export const clientsList: Command = {
  name: 'clients list',
  usage: 'clients list [--json]',
  async run(args, context) {
    const { values } = parse(args, {});
    const clients = await (await context.services()).clients.list();
    output(context, values.json, clients.map(view),
      clients.map((c) => `${c.clientId}  ${c.name}  [${c.grantTypes.join(', ')}]`).join('\n') || 'No clients.');
  },
};

export const clientsShow: Command = {
  name: 'clients show',
  usage: 'clients show ID [--json]',
  async run(args, context) {
    const { values, positionals } = parse(args, {}, 1);
    const client = await (await context.services()).clients.require(positionals[0]!);
    output(context, values.json, view(client), describe(client));
  },
};

export const clientsRotateSecret: Command = {
  name: 'clients rotate-secret',
  usage: 'clients rotate-secret ID [--grace SECONDS] [--json]',
  async run(args, context) {
    const { values, positionals } = parse(args, { grace: { type: 'string' } }, 1);
    const grace = values.grace === undefined ? 0 : Number(values.grace);
    if (!Number.isInteger(grace) || grace < 0 || grace > 30 * 86_400) {
      throw new UsageError('--grace must be a whole number of seconds, at most 30 days');
    }
    const { client, clientSecret } = await (await context.services()).clients.rotateSecret(positionals[0]!, grace, operatorContext());
    output(context, values.json, { client_id: client.clientId, client_secret: clientSecret, previous_secret_expires_at: client.previousSecretExpiresAt },
      `New client secret: ${clientSecret}\n${grace > 0 ? `The old secret works until ${client.previousSecretExpiresAt}.` : 'The old secret no longer works.'}\n\n${SECRET_WARNING}`);
  },
};

export const clientsDelete: Command = {
  name: 'clients delete',
  usage: 'clients delete ID [--json]',
  async run(args, context) {
    const { values, positionals } = parse(args, {}, 1);
    await (await context.services()).clients.delete(positionals[0]!, operatorContext());
    output(context, values.json, { client_id: positionals[0], deleted: true }, `Deleted client ${positionals[0]}`);
  },
};
