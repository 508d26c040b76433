// POST /oauth/device_authorization (RFC 8628 §3.1–3.2).
import type { FastifyInstance } from 'fastify';
import type { DeviceFlow } from '../device/device-flow.ts';
import { DEVICE_CODE_GRANT } from '../grants/device-code.ts';
import type { ClientAuthenticator } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import { NO_STORE, OAUTH_BODY_LIMIT, oauthBodySchema, paramsOf } from './params.ts';

export function deviceAuthorizationEndpoint(app: FastifyInstance, deps: { clientAuth: ClientAuthenticator; devices: DeviceFlow }): void {
  app.post('/oauth/device_authorization', {
    bodyLimit: OAUTH_BODY_LIMIT,
    schema: oauthBodySchema('client_id', 'client_secret', 'scope'),
  }, async (request, reply) => {
    const params = paramsOf(request.body);
    const client = await deps.clientAuth.authenticate(request, params);
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) {
      throw new OAuthError('unauthorized_client', 'this client may not use the device authorization grant');
    }
    return reply.headers(NO_STORE).send(await deps.devices.start(client, params.scope));
  });
}
