// Shared pieces of the operator CLI: argument parsing, output and errors.
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Services } from '../services.ts';
import type { AuditContext } from '../audit/audit-event.ts';

export class UsageError extends Error {}

export interface CommandContext {
  /** Opens the services (store, keys) on first use. */
  services(): Promise<Services>;
  out(text: string): void;
}

export interface Command {
  /** e.g. "clients create" */
  name: string;
  usage: string;
  run(args: string[], context: CommandContext): Promise<void>;
}

export function parse<T extends ParseArgsOptionsConfig>(args: string[], options: T, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, json: { type: 'boolean' } }, strict: true, allowPositionals: positionals > 0 });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(positionals === 0 ? 'this command takes no arguments' : `expected ${positionals} argument(s)`);
  }
  return parsed;
}

export function required(values: Record<string, unknown>, ...names: string[]): void {
  for (const name of names) if (values[name] === undefined) throw new UsageError(`--${name} is required`);
}

/** Who acts, for the audit log: the operator, named by their login on this machine when it has one. */
export function operatorContext(): AuditContext {
  let login: string | null = null;
  try {
    login = userInfo().username || null;
  } catch {
    // A container's user may have no name: the operator is still the operator.
  }
  return { actorKind: 'operator', actorId: login, ip: null, requestId: null };
}

/** Prints `data` as JSON with --json, else the human-readable text. */
export function output(context: CommandContext, json: boolean | undefined, data: unknown, text: string): void {
  context.out(json ? JSON.stringify(data, null, 2) : text);
}
