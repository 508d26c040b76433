// /api/v1/users/me/tokens: a user's personal access tokens (ProcessMaker-style).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PersonalAccessTokenService } from '../pat/pat-service.ts';
import { toPatJson } from '../pat/pat-json.ts';
import { grants, isKnownScope } from '../scopes.ts';
import { ApiError } from './errors.ts';
import type { Principal } from './bearer.ts';

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

/** The signed-in user behind a token; a client acting for itself has none. */
export function userOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal || (principal.kind === 'oauth' && principal.subject === principal.clientId)) {
    throw new ApiError(403, 'user_token_required', 'this endpoint acts for a user; a client-credentials token has no user');
  }
  return principal;
}

export function tokenRoutes(app: FastifyInstance, deps: { pats: PersonalAccessTokenService }): void {
  const { pats } = deps;

  app.get('/api/v1/users/me/tokens', {
    schema: { response: { 200: { type: 'object', properties: { data: { type: 'array', items: patSchema } } } } },
  }, async (request) => ({ data: (await pats.list(userOf(request).subject)).map(toPatJson) }));

  app.post<{ Body: { name: string; scopes: string[]; expires_in_days?: number | null } }>('/api/v1/users/me/tokens', {
    schema: {
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
      response: { 201: patSchema },
    },
  }, async (request, reply) => {
    const user = userOf(request);
    // A token may not mint a token stronger than itself (unknown scopes are a 422 below).
    const beyond = request.body.scopes.filter((s) => isKnownScope(s) && !grants(user.scopes, s));
    if (beyond.length > 0) {
      throw new ApiError(403, 'insufficient_scope', `the calling token does not have: ${beyond.join(' ')}`);
    }
    const { token, record } = await pats.create(user.subject, {
      name: request.body.name,
      scopes: request.body.scopes,
      expiresInDays: request.body.expires_in_days ?? null,
    });
    return reply.code(201).header('cache-control', 'no-store').send({ ...toPatJson(record), token });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/users/me/tokens/:id', {
    schema: { params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } },
  }, async (request, reply) => {
    await pats.revoke(userOf(request).subject, request.params.id);
    return reply.code(204).send();
  });
}
