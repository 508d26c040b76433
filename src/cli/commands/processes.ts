import type { Command } from '../command.ts';
import { output, parse, required } from '../command.ts';
import { toProcessJson } from '../../process/process-json.ts';

export const processesCreate: Command = {
  name: 'processes create',
  usage: 'processes create --owner E --name N [--description D] [--json]',
  async run(args, context) {
    const { values } = parse(args, { owner: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' } });
    required(values, 'owner', 'name');
    const services = await context.services();
    const { user, workspaceId } = await services.users.personalWorkspaceOf(values.owner!);
    const process = await services.processes.create(workspaceId, { name: values.name!, description: values.description ?? '' }, user.email);
    output(context, values.json, toProcessJson(process), `Created process ${process.id} (${process.name})`);
  },
};
