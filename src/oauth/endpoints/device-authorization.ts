// POST /oauth/device_authorization (RFC 8628 §3.1–3.2).
import type { FastifyInstance } from 'fastify';
import type { ClientService } from '../../client/client-service.ts';
import type { DeviceFlow } from '../device/device-flow.ts';
import { DEVICE_CODE_GRANT } from '../grants/device-code.ts';
import { authenticateClient } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import { NO_STORE } from './token.ts';

const stringParam = { type: 'string', maxLength: 4096 };

export function deviceAuthorizationEndpoint(app: FastifyInstance, deps: { clients: ClientService; devices: DeviceFlow }): void {
  app.post('/oauth/device_authorization', {
    bodyLimit: 16 * 1024,
    schema: { body: { type: 'object', properties: { client_id: stringParam, client_secret: stringParam, scope: stringParam } } },
  }, async (request, reply) => {
    const params = (request.body ?? {}) as Record<string, string>;
    const client = await authenticateClient(deps.clients, request.headers.authorization, params);
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) {
      throw new OAuthError('unauthorized_client', 'this client may not use the device authorization grant');
    }
    return reply.headers(NO_STORE).send(await deps.devices.start(client, params.scope));
  });
}
