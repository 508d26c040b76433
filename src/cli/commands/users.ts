import type { Command } from '../command.ts';
import { operatorContext, output, parse, required } from '../command.ts';

export const usersCreate: Command = {
  name: 'users create',
  usage: 'users create --email E --password P [--admin] [--json]',
  async run(args, context) {
    const { values } = parse(args, { email: { type: 'string' }, password: { type: 'string' }, admin: { type: 'boolean' } });
    required(values, 'email', 'password');
    const { users } = await context.services();
    const user = await users.create({ email: values.email!, password: values.password!, admin: values.admin ?? false }, operatorContext());
    output(context, values.json, { id: user.id, email: user.email, admin: user.isAdmin, created_at: user.createdAt },
      `Created user ${user.email} (${user.id})${user.isAdmin ? ' as admin' : ''}`);
  },
};

export const usersList: Command = {
  name: 'users list',
  usage: 'users list [--json]',
  async run(args, context) {
    const { values } = parse(args, {});
    const users = await (await context.services()).users.list();
    const rows = users.map((u) => ({ id: u.id, email: u.email, admin: u.isAdmin, disabled: u.disabledAt !== null, created_at: u.createdAt }));
    output(context, values.json, rows, rows.map((u) => `${u.id}  ${u.email}${u.admin ? '  (admin)' : ''}`).join('\n') || 'No users.');
  },
};

function toggle(name: 'disable' | 'enable'): Command {
  return {
    name: `users ${name}`,
    usage: `users ${name} --email E [--json]`,
    async run(args, context) {
      const { values } = parse(args, { email: { type: 'string' } });
      required(values, 'email');
      const services = await context.services();
      const user = await services.users.requireByEmail(values.email!);
      if (name === 'disable') await services.accounts.disable(user.id, operatorContext());
      else await services.accounts.enable(user.id, operatorContext());
      output(context, values.json, { id: user.id, email: user.email, disabled: name === 'disable' },
        `${name === 'disable' ? 'Disabled' : 'Enabled'} ${user.email}${name === 'disable' ? '; their sessions and tokens no longer work' : ''}`);
    },
  };
}

export const usersDisable = toggle('disable');
export const usersEnable = toggle('enable');

export const usersResetPassword: Command = {
  name: 'users reset-password',
  usage: 'users reset-password --email E [--json]',
  async run(args, context) {
    const { values } = parse(args, { email: { type: 'string' } });
    required(values, 'email');
    const services = await context.services();
    const user = await services.users.requireByEmail(values.email!);
    const reset = await services.passwords.issueReset(user.id, operatorContext());
    output(context, values.json, { email: user.email, url: reset.url, expires_at: reset.expiresAt, emailed: reset.emailed }, [
      reset.emailed ? `Emailed a one-time password-reset link to ${user.email}. It also is:` : `A one-time password-reset link for ${user.email}; give it to them through a channel you trust:`,
      '',
      `  ${reset.url}`,
      '',
      `It works once, until ${reset.expiresAt}. Any earlier link of theirs no longer works.`,
    ].join('\n'));
  },
};
