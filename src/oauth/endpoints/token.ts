// POST /oauth/token (RFC 6749 §3.2). Parameters come form-encoded or as JSON.
import type { FastifyInstance } from 'fastify';
import type { Grant } from '../grants/grant.ts';
import type { ClientAuthenticator } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import { NO_STORE, OAUTH_BODY_LIMIT, oauthBodySchema, paramsOf } from './params.ts';

const schema = oauthBodySchema('grant_type', 'client_id', 'client_secret', 'scope');

/** The counter of tokens issued with one grant type (metrics): resolved once per grant, bumped per token. */
export type IssuedCounter = (grantType: string) => { inc(): void };

export function tokenEndpoint(app: FastifyInstance, deps: { clientAuth: ClientAuthenticator; grants: Grant[]; issued: IssuedCounter }): void {
  const grants = new Map(deps.grants.map((g) => [g.type, g]));
  const issued = new Map(deps.grants.map((g) => [g.type, deps.issued(g.type)]));

  app.post('/oauth/token', { schema, bodyLimit: OAUTH_BODY_LIMIT }, async (request, reply) => {
    const params = paramsOf(request.body);
    const grantType = params.grant_type;
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    const client = await deps.clientAuth.authenticate(request, params);
    const grant = grants.get(grantType);
    if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type "${grantType}" is not supported`);
    if (!client.grantTypes.includes(grantType)) {
      throw new OAuthError('unauthorized_client', `this client may not use the ${grantType} grant`);
    }
    const response = await grant.handle({ client, params, ip: request.ip, requestId: request.id });
    // Past handle(), the grant has issued its token (a device still pending threw).
    issued.get(grantType)!.inc();
    return reply.headers(NO_STORE).send(response);
  });
}
