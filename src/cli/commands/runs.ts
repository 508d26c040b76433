// `gatehouse runs …` and `gatehouse processes list|show`: what the API shows,
// for an operator, across every workspace.
import type { Command } from '../command.ts';
import { operatorContext, output, parse, UsageError } from '../command.ts';
import { toProcessJson, toStepJson } from '../../process/process-json.ts';
import { toRunJson, toStepRunJson } from '../../runs/run-json.ts';
import { RUN_STATUSES, type RunStatus } from '../../runs/run.ts';

const line = (cells: Array<string | null>) => cells.map((c) => c ?? '-').join('  ');

export const runsList: Command = {
  name: 'runs list',
  usage: 'runs list [--process ID] [--status S] [--limit N] [--json]',
  async run(args, context) {
    const { values } = parse(args, { process: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } });
    if (values.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(values.status)) throw new UsageError(`--status must be one of ${RUN_STATUSES.join(', ')}`);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError('--limit must be a whole number from 1 to 100');
    const { runs } = await context.services();
    const page = await runs.listAll({ processId: values.process, status: values.status as RunStatus | undefined }, limit, null);
    const rows = page.items.map(toRunJson);
    output(context, values.json, rows, rows.map((r) => line([r.id, r.status, r.processId, r.dateStarted, r.name])).join('\n') || 'No runs.');
  },
};

export const runsShow: Command = {
  name: 'runs show',
  usage: 'runs show ID [--json]',
  async run(args, context) {
    const { values, positionals } = parse(args, {}, 1);
    const { runs } = await context.services();
    const run = await runs.find(positionals[0]!);
    const steps = (await runs.steps(run.workspaceId, run.id)).map(toStepRunJson);
    output(context, values.json, { ...toRunJson(run), steps }, [
      `${run.id}  ${run.status}  ${run.name}`,
      `process ${run.processId}, created by ${run.createdBy} at ${run.createdAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}`,
      ...steps.map((s) => `  ${s.position}. ${s.name} (${s.kind})  ${s.status}  attempts ${s.attempts}${s.completionMessage ? `  ${s.completionMessage}` : ''}`),
      `data ${JSON.stringify(run.data)}`,
    ].join('\n'));
  },
};

export const runsCancel: Command = {
  name: 'runs cancel',
  usage: 'runs cancel ID [--json]',
  async run(args, context) {
    const { values, positionals } = parse(args, {}, 1);
    const services = await context.services();
    // On PostgreSQL the node running the run's step hears of it at once; on SQLite within a third of the lease.
    await services.notifier.start();
    const run = await services.runs.find(positionals[0]!);
    const cancelled = await services.runs.cancel(run.workspaceId, run.id, 'the operator (CLI)', operatorContext());
    output(context, values.json, toRunJson(cancelled), `Cancelled ${cancelled.id}`);
  },
};

export const processesList: Command = {
  name: 'processes list',
  usage: 'processes list [--limit N] [--json]',
  async run(args, context) {
    const { values } = parse(args, { limit: { type: 'string' } });
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError('--limit must be a whole number from 1 to 100');
    const page = await (await context.services()).processes.listAll(limit, null);
    const rows = page.items.map(toProcessJson);
    output(context, values.json, rows, rows.map((p) => line([p.id, p.name, p.lastModifiedBy])).join('\n') || 'No processes.');
  },
};

export const processesShow: Command = {
  name: 'processes show',
  usage: 'processes show ID [--json]',
  async run(args, context) {
    const { values, positionals } = parse(args, {}, 1);
    const { processes } = await context.services();
    const process = await processes.find(positionals[0]!);
    const steps = (await processes.steps(process.workspaceId, process.id)).map(toStepJson);
    output(context, values.json, { ...toProcessJson(process), steps }, [
      `${process.id}  ${process.name}`,
      ...(process.description ? [process.description] : []),
      ...steps.map((s) => `  ${s.position}. ${s.name} (${s.kind}) ${JSON.stringify(s.config)}`),
    ].join('\n'));
  },
};
