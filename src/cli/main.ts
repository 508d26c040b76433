// The operator CLI: `gatehouse <command> [options]`.
import { ConfigError, loadConfig } from '../config.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { createServices, type Services } from '../services.ts';
import { UsageError, type Command, type CommandContext } from './command.ts';
import { migrate, purge, serve } from './commands/server.ts';
import { keysList, keysRotate } from './commands/keys.ts';
import { usersCreate, usersDisable, usersEnable, usersList, usersResetPassword } from './commands/users.ts';
import { tokensCreate, tokensList, tokensRevoke } from './commands/tokens.ts';
import { clientsCreate, clientsDelete, clientsList, clientsRotateSecret, clientsShow } from './commands/clients.ts';
import { processesCreate } from './commands/processes.ts';
import { processesList, processesShow, runsCancel, runsList, runsShow } from './commands/runs.ts';
import { auditList } from './commands/audit.ts';

const COMMANDS: Command[] = [
  serve, migrate, purge,
  keysList, keysRotate,
  usersCreate, usersList, usersDisable, usersEnable, usersResetPassword,
  clientsCreate, clientsList, clientsShow, clientsRotateSecret, clientsDelete,
  processesCreate, processesList, processesShow,
  runsList, runsShow, runsCancel,
  tokensCreate, tokensList, tokensRevoke,
  auditList,
];

export function usage(): string {
  return ['Usage: gatehouse <command> [options]', '', 'Commands:', ...COMMANDS.map((c) => `  ${c.usage}`),
    '', 'Configuration comes from the environment (see README.md).'].join('\n');
}

function find(argv: string[]): { command: Command; args: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, args: argv.slice(words) };
  }
  return undefined;
}

/** Runs the CLI; returns the exit code (the server keeps running after `serve`). */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(`${usage()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const found = find(argv);
  if (!found) {
    process.stderr.write(`gatehouse: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${usage()}\n`);
    return 2;
  }
  let services: Services | undefined;
  const context: CommandContext = {
    services: async () => (services ??= await createServices(loadConfig())),
    out: (text) => process.stdout.write(`${text}\n`),
  };
  try {
    await found.command.run(found.args, context);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`gatehouse ${found.command.name}: ${error.message}\nUsage: gatehouse ${found.command.usage}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`gatehouse: invalid configuration: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ValidationError || error instanceof NotFoundError || error instanceof ConflictError) {
      process.stderr.write(`gatehouse ${found.command.name}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`gatehouse ${found.command.name}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    if (found.command !== serve) await services?.close();
  }
}
