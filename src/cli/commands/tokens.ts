import type { Command } from '../command.ts';
import { operatorContext, output, parse, required, UsageError } from '../command.ts';
import { toPatJson } from '../../pat/pat-json.ts';
import { NotFoundError } from '../../errors.ts';

export const tokensCreate: Command = {
  name: 'tokens create',
  usage: 'tokens create --user E --name N [--scope S]… [--expires-in DAYS] [--json]',
  async run(args, context) {
    const { values } = parse(args, { user: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string', multiple: true }, 'expires-in': { type: 'string' } });
    required(values, 'user', 'name');
    const days = values['expires-in'] === undefined ? null : Number(values['expires-in']);
    if (days !== null && !Number.isInteger(days)) throw new UsageError('--expires-in must be a whole number of days');
    const services = await context.services();
    const user = await services.users.requireByEmail(values.user!);
    const scopes = (values.scope ?? ['process_read']).flatMap((s) => s.split(' ')).filter(Boolean);
    const { token, record } = await services.pats.create(user.id, { name: values.name!, scopes, expiresInDays: days }, operatorContext());
    output(context, values.json, { ...toPatJson(record), token },
      `Token ${record.id} (${record.name}): ${token}\n\nStore it now: it is shown this once and cannot be shown again.`);
  },
};

export const tokensList: Command = {
  name: 'tokens list',
  usage: 'tokens list --user E [--json]',
  async run(args, context) {
    const { values } = parse(args, { user: { type: 'string' } });
    required(values, 'user');
    const services = await context.services();
    const user = await services.users.requireByEmail(values.user!);
    const tokens = (await services.pats.list(user.id)).map(toPatJson);
    output(context, values.json, tokens, tokens.map((t) => `${t.id}  ${t.name}  [${t.scopes.join(' ')}]${t.revoked_at ? '  (revoked)' : ''}`).join('\n') || 'No tokens.');
  },
};

export const tokensRevoke: Command = {
  name: 'tokens revoke',
  usage: 'tokens revoke ID [--json]',
  async run(args, context) {
    const { values, positionals } = parse(args, {}, 1);
    const services = await context.services();
    const id = positionals[0]!;
    const record = await services.store.personalAccessTokens.findById(id);
    if (!record) throw new NotFoundError(`no token ${id}`);
    await services.pats.revoke(record.userId, id, operatorContext());
    output(context, values.json, { id, revoked: true }, `Revoked token ${id}`);
  },
};
