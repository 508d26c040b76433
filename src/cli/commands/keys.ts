// `gatehouse keys list|rotate`: the signing keys, and a rotation by hand.
import type { Command } from '../command.ts';
import { operatorContext, output, parse } from '../command.ts';

export const keysList: Command = {
  name: 'keys list',
  usage: 'keys list [--json]',
  async run(args, context) {
    const { values } = parse(args, {});
    const keys = await (await context.services()).keys.list();
    const lines = keys.map((k) => `${k.kid}  ${k.alg.padEnd(5)}  ${k.status.padEnd(8)}  created ${k.createdAt}  signs from ${k.activatesAt}${k.removesAt ? `  leaves the JWKS ${k.removesAt}` : ''}`);
    output(context, values.json, { keys }, lines.join('\n'));
  },
};

export const keysRotate: Command = {
  name: 'keys rotate',
  usage: 'keys rotate [--now] [--json]   (a new key, published now and signing after GATEHOUSE_KEY_PUBLISH_SECONDS; --now: at once)',
  async run(args, context) {
    const { values } = parse(args, { now: { type: 'boolean' } });
    const services = await context.services();
    const rotation = await services.keys.rotate({ immediately: values.now === true });
    await services.audit.keyRotated(operatorContext(), rotation.kid, rotation.previousKid);
    output(context, values.json, rotation, `New key ${rotation.kid}: published now, signs from ${rotation.activatesAt}; ${rotation.previousKid} stops then and leaves the JWKS once its tokens have expired.`);
  },
};
