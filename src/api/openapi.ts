// The API's OpenAPI 3.1 document, made by @fastify/swagger from the route
// schemas themselves (so it cannot drift from what the server does), served
// at /api/v1/openapi.json without a token. Only /api/v1 routes are in it.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { SCOPES } from '../scopes.ts';
import { SHARED_SCHEMAS } from './schemas.ts';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/** Registers the shared schemas and the document's collector; call before any route is added. */
export async function registerOpenApi(app: FastifyInstance, issuer: string): Promise<void> {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse API',
        version: '1',
        description: 'Processes, their steps and runs, and webhooks, in the shape of SolveXia\'s public API. Every call needs `Authorization: Bearer …`: an OAuth 2.1 access token from this server, or a personal access token.',
      },
      servers: [{ url: issuer }],
      components: {
        securitySchemes: {
          oauth2: {
            type: 'oauth2',
            flows: {
              clientCredentials: { tokenUrl: `${issuer}/oauth/token`, scopes: SCOPES },
              authorizationCode: { authorizationUrl: `${issuer}/oauth/authorize`, tokenUrl: `${issuer}/oauth/token`, scopes: SCOPES },
            },
          },
          personalAccessToken: { type: 'http', scheme: 'bearer', description: 'A personal access token (gth_…)' },
        },
      },
      tags: [
        { name: 'Processes' }, { name: 'Steps' }, { name: 'Process runs' }, { name: 'Webhooks' }, { name: 'Account' },
      ],
    },
    // Components are named after the schemas' $id (Process, ProcessRun, …), not def-0, def-1, ….
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    // Only the API: pages and the authorization server are not part of it.
    transform: ({ schema, url, route }) => {
      const hide = !url.startsWith('/api/v1/') || url === OPENAPI_PATH;
      const scope = (route.config as { scope?: string } | undefined)?.scope;
      const security = scope ? [{ oauth2: [scope] }, { personalAccessToken: [] }] : [{ oauth2: [] }, { personalAccessToken: [] }];
      return { schema: { ...schema, hide, ...(hide ? {} : { security }) } as typeof schema, url };
    },
  });
}

export function openApiRoute(app: FastifyInstance): void {
  app.get(OPENAPI_PATH, { schema: { hide: true } as object }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=60').send(app.swagger()));
}
