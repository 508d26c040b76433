// GET /.well-known/oauth-authorization-server (RFC 8414).
import type { FastifyInstance } from 'fastify';
import type { Grant } from '../grants/grant.ts';
import { SCOPES } from '../../scopes.ts';
import { SIGNING_ALGS } from '../keys/key-ring.ts';

export const METADATA_PATH = '/.well-known/oauth-authorization-server';

/** The endpoint URLs of the server at `issuer`, as the metadata lists them (the /docs page shows the same). */
export function endpointUrls(issuer: string) {
  return {
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    device_authorization_endpoint: `${issuer}/oauth/device_authorization`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
  };
}

export function metadataEndpoint(app: FastifyInstance, deps: { issuer: string; grants: Grant[] }): void {
  const { issuer } = deps;
  const metadata = {
    issuer,
    ...endpointUrls(issuer),
    scopes_supported: Object.keys(SCOPES),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: deps.grants.map((g) => g.type),
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${issuer}/docs`,
    // Access tokens are RFC 9068 JWTs signed with this algorithm.
    access_token_signing_alg_values_supported: [...SIGNING_ALGS],
  };
  app.get(METADATA_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').send(metadata));
}
