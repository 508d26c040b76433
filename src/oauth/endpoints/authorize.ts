// GET and POST /oauth/authorize (RFC 6749 §4.1): sign-in, consent, then the
// code. GET and POST check the request with the same code; every response to
// the client carries `iss` (RFC 9207), errors included.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Services } from '../../services.ts';
import { PageError } from '../../web/error-page.ts';
import { me, renderPage } from '../../web/page-layer.ts';
import { seeOther, sendPage } from '../../web/respond.ts';
import type { SignedIn } from '../../web/session.ts';
import { pageAuditContext } from '../../web/audit-context.ts';
import { AuthorizeRedirectError, formTargetOf, parseAuthorizeQuery, verifyAuthorizeRequest, type AuthorizeRequest, type ResponseTarget } from '../authorize-request.ts';
import { CodeIssuer } from '../code-issuer.ts';
import { OAuthError } from '../errors.ts';
import { consentPage } from '../consent-page.ts';

/** The redirect URI with the response parameters added to its query (it has no fragment). */
function responseUrl(target: ResponseTarget, issuer: string, values: Record<string, string>): string {
  const query = new URLSearchParams(values);
  if (target.state !== undefined) query.set('state', target.state);
  query.set('iss', issuer);
  return `${target.redirectUri}${target.redirectUri.includes('?') ? '&' : '?'}${query}`;
}

export function authorizeEndpoint(app: FastifyInstance, services: Services): void {
  const { clients, consents, config } = services;
  const codes = new CodeIssuer(services.store, services.userTokens, config.authCodeTtl);

  const countFailure = services.metrics.failures('oauth');
  const redirectError = (reply: FastifyReply, target: ResponseTarget, error: OAuthError) => {
    countFailure(error.error);
    return seeOther(reply, responseUrl(target, config.issuer, { error: error.error, error_description: error.message }));
  };

  const sendCode = async (reply: FastifyReply, signedIn: SignedIn, request: AuthorizeRequest) => {
    const code = await codes.issue(signedIn.user, request);
    return seeOther(reply, responseUrl(request, config.issuer, { code }));
  };

  /** Checks the request; an error for the client is sent and null returned. */
  const verify = async (reply: FastifyReply, params: Record<string, string>): Promise<AuthorizeRequest | null> => {
    try {
      return await verifyAuthorizeRequest(clients, params);
    } catch (error) {
      if (error instanceof AuthorizeRedirectError) {
        redirectError(reply, error.target, error.oauth);
        return null;
      }
      throw error;
    }
  };

  // No HEAD route: a HEAD must not issue codes. The request is checked before
  // sign-in, so a broken one is an error page, not a sign-in form.
  app.get('/oauth/authorize', { exposeHeadRoute: false, config: { access: 'optional' } }, async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const verified = await verify(reply, parseAuthorizeQuery(query));
    if (!verified) return reply;
    const signedIn = request.signedIn;
    if (!signedIn) {
      const returnTo = `/oauth/authorize?${new URLSearchParams(verified.params)}`;
      return seeOther(reply, `/login?${new URLSearchParams({ return_to: returnTo })}`);
    }
    if (await consents.covers(signedIn.user.id, verified.client, verified.scopes)) return sendCode(reply, signedIn, verified);
    const body = consentPage(verified, signedIn, await clients.ownerEmail(verified.client));
    return sendPage(reply, renderPage(request, { title: `Authorize ${verified.client.name}`, body, narrow: true }), { formTargets: [formTargetOf(verified.redirectUri)] });
  });

  // A consent form posted after the session ended cannot be resumed: an error page, not a sign-in.
  app.post('/oauth/authorize', { config: { returnTo: null } }, async (request, reply) => {
    const fields = request.form;
    const signedIn = me(request);
    const verified = await verify(reply, fields);
    if (!verified) return reply;
    if (fields.decision === 'deny') {
      return redirectError(reply, verified, new OAuthError('access_denied', 'the user denied the request'));
    }
    if (fields.decision !== 'approve') throw new PageError(400, 'Choose Approve or Deny.', 'Invalid request');
    await consents.grant(signedIn.user.id, verified.client.clientId, verified.scopes, pageAuditContext(request));
    return sendCode(reply, signedIn, verified);
  });
}
