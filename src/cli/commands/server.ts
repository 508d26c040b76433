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
