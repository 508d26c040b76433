// The authorization server's HTTP surface. Every error here is RFC 6749 §5.2 JSON.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { DuplicateParameterError, NonStringParameterError, registerStrictJsonParser, registerUntypedFormParser } from '../http/form-body.ts';
import { OAuthError } from './errors.ts';
import { ClientCredentialsGrant } from './grants/client-credentials.ts';
import { AuthorizationCodeGrant } from './grants/authorization-code.ts';
import { RefreshTokenGrant } from './grants/refresh-token.ts';
import { PasswordGrant } from './grants/password.ts';
import { DeviceCodeGrant } from './grants/device-code.ts';
import { deviceAuthorizationEndpoint } from './endpoints/device-authorization.ts';
import { tokenEndpoint } from './endpoints/token.ts';
import { NO_STORE, OAUTH_PARAM_RULE } from './endpoints/params.ts';
import { metadataEndpoint } from './endpoints/metadata.ts';
import { jwksEndpoint } from './endpoints/jwks.ts';
import { revocationEndpoint } from './endpoints/revoke.ts';
import { introspectionEndpoint } from './endpoints/introspect.ts';
import { ClientAuthenticator } from './client-auth.ts';
import { isStoreUnavailable, RETRY_AFTER_SECONDS } from '../store/unavailable.ts';

function toOAuthError(error: FastifyError): OAuthError | null {
  if (error instanceof OAuthError) return error;
  if (error instanceof DuplicateParameterError || error instanceof NonStringParameterError) return new OAuthError('invalid_request', error.message);
  if (error.validation) {
    const first = error.validation[0];
    const rule = first?.keyword === 'format' ? OAUTH_PARAM_RULE : first?.message ?? '';
    return new OAuthError('invalid_request', `invalid parameter: ${first?.instancePath.slice(1) || 'body'} ${rule}`.trim());
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new OAuthError('invalid_request', `the request body could not be read (${error.message})`);
  if (isStoreUnavailable(error)) return new OAuthError('temporarily_unavailable', 'the server cannot reach its database; try again shortly', { 'retry-after': String(RETRY_AFTER_SECONDS) });
  return null;
}

export async function oauthPlugin(app: FastifyInstance, services: Services): Promise<void> {
  const { store, userTokens, config } = services;
  const grants = [
    new AuthorizationCodeGrant(store, userTokens),
    new ClientCredentialsGrant(services.accessTokens),
    new RefreshTokenGrant(store, userTokens, config.refreshGraceSeconds),
    new PasswordGrant(store, userTokens, services.credentials),
    new DeviceCodeGrant(store, userTokens),
  ];

  const countFailure = services.metrics.failures('oauth');
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let oauthError = toOAuthError(error);
    if (!oauthError) {
      request.log.error({ err: error }, 'unexpected error in the authorization server');
      oauthError = new OAuthError('server_error', 'the server met an unexpected error');
    }
    countFailure(oauthError.error);
    return reply.code(oauthError.status).headers({ ...NO_STORE, ...oauthError.headers }).send(oauthError.toJSON());
  });

  const clientAuth = new ClientAuthenticator(services.clients, services.sharedCounters);
  // A POST without a body (a client that authenticates with Basic and has
  // nothing to send to /oauth/device_authorization) has no parameters, which
  // is not an error in itself; the endpoint says what is missing.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined || request.body === null) request.body = {};
    done();
  });
  registerUntypedFormParser(app);
  registerStrictJsonParser(app);
  tokenEndpoint(app, { clientAuth, grants, issued: (grantType) => services.metrics.tokensIssued.cell({ grant_type: grantType }) });
  metadataEndpoint(app, { issuer: services.config.issuer, grants });
  jwksEndpoint(app, { keys: services.keys });
  revocationEndpoint(app, { ...services, clientAuth });
  introspectionEndpoint(app, { ...services, clientAuth, issuer: config.issuer });
  deviceAuthorizationEndpoint(app, { clientAuth, devices: services.devices });
}
