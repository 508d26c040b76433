// /api/v1/users/me/tokens: a user's personal access tokens (ProcessMaker-style).
import type { FastifyInstance } from 'fastify';
import type { PersonalAccessTokenService } from '../pat/pat-service.ts';
import { toPatJson } from '../pat/pat-json.ts';
import { grants, isKnownScope } from '../scopes.ts';
import type { ClientService } from '../client/client-service.ts';
import type { UserTokens } from '../oauth/tokens/user-tokens.ts';
import { ApiError } from './errors.ts';
import { accountOwner, grantEndsAt } from './credential.ts';
import { errorResponses } from './schemas.ts';
import { apiAuditContext } from './audit-context.ts';

const patSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    last_used_at: { type: ['string', 'null'] },
    expires_at: { type: ['string', 'null'] },
    revoked_at: { type: ['string', 'null'] },
    token: { type: 'string' },
  },
} as const;

export interface TokenRouteDeps {
  pats: PersonalAccessTokenService;
  clients: Pick<ClientService, 'find'>;
  userTokens: Pick<UserTokens, 'refreshEndsAt'>;
}

/**
 * Only the user's own credentials manage their tokens (api/credential.ts),
 * and a token made through the API never outlives, nor out-scopes, the
 * credential that made it.
 */
export function tokenRoutes(app: FastifyInstance, deps: TokenRouteDeps): void {
  const { pats, clients } = deps;

  app.get('/api/v1/users/me/tokens', {
    schema: { tags: ['Account'], summary: 'The user\'s personal access tokens (a PAT or a first-party app\'s token only)', response: { 200: { type: 'object', properties: { data: { type: 'array', items: patSchema } } }, ...errorResponses } },
  }, async (request) => ({ data: (await pats.list((await accountOwner(request, clients)).subject)).map(toPatJson) }));

  app.post<{ Body: { name: string; scopes: string[]; expires_in_days?: number | null } }>('/api/v1/users/me/tokens', {
    schema: {
      tags: ['Account'],
      summary: 'Make a personal access token, shown this once; it may not out-scope or outlive the calling token',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'scopes'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100 },
          scopes: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 20 },
          expires_in_days: { type: ['integer', 'null'], minimum: 1, maximum: 3650 },
        },
      },
      response: { 201: patSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const caller = await accountOwner(request, clients);
    // A token may not mint a token stronger than itself (unknown scopes are a 422 below).
    const beyond = request.body.scopes.filter((s) => isKnownScope(s) && !grants(caller.scopes, s));
    if (beyond.length > 0) {
      throw new ApiError(403, 'insufficient_scope', `the calling token does not have: ${beyond.join(' ')}`);
    }
    const { token, record } = await pats.create(caller.subject, {
      name: request.body.name,
      scopes: request.body.scopes,
      expiresInDays: request.body.expires_in_days ?? null,
      notAfterMs: await grantEndsAt(caller, deps.userTokens),
    }, apiAuditContext(request));
    return reply.code(201).header('cache-control', 'no-store').send({ ...toPatJson(record), token });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/users/me/tokens/:id', {
    schema: { tags: ['Account'], summary: 'Revoke one of the user\'s personal access tokens', params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] }, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    await pats.revoke((await accountOwner(request, clients)).subject, request.params.id, apiAuditContext(request));
    return reply.code(204).send();
  });
}
