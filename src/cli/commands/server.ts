import type { Command } from '../command.ts';
import { output, parse } from '../command.ts';
import { loadConfig } from '../../config.ts';
import { KyselyStore } from '../../store/kysely-store.ts';
import { serve as startServer } from '../../server.ts';

export const serve: Command = {
  name: 'serve',
  usage: 'serve',
  async run(args) {
    parse(args, {});
    await startServer(loadConfig());
  },
};

export const migrate: Command = {
  name: 'migrate',
  usage: 'migrate [--json]',
  async run(args, context) {
    const { values } = parse(args, {});
    const store = KyselyStore.open(loadConfig().databaseUrl);
    try {
      const applied = await store.migrate();
      output(context, values.json, { applied }, applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
    } finally {
      await store.close();
    }
  },
};

export const purge: Command = {
  name: 'purge',
  usage: 'purge [--json]',
  async run(args, context) {
    const { values } = parse(args, {});
    const services = await context.services();
    const deleted = await services.janitor.run();
    if (!deleted) {
      output(context, values.json, { deleted: null }, 'Another node is purging right now; nothing was done.');
      return;
    }
    const lines = Object.entries(deleted).filter(([, n]) => n > 0).map(([what, n]) => `  ${what}: ${n}`);
    output(context, values.json, { deleted }, lines.length ? `Deleted:\n${lines.join('\n')}` : 'Nothing had expired.');
  },
};
