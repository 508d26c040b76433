// The page layer. Every HTML route (portal, authorize and consent, device,
// set-up, password reset, authorized apps) is registered inside this one
// Fastify scope, and gets from it, without writing a line:
//  - cookies, the stylesheet and scripts, and one error handler (pages);
//  - who may see it, declared per route in `config.access` and enforced by
//    an onRequest hook: signed-out visitors are sent to sign in, and
//    non-admins get the 404 page on admin routes (the route stays secret);
//  - for a POST: a form body (415 otherwise), sent from this origin (Fetch
//    Metadata and Origin), with the CSRF token that `config.csrf` names,
//    checked by a preValidation hook, so before the body is validated;
//  - `reply.notice(text)`: a one-time notice for the session's next page,
//    held in memory (never in the URL, where anyone could write one).
// A route needs no sign-in or CSRF code of its own; a new page is safe by
// being in this scope, and signed-in access is the default.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import cookie from '@fastify/cookie';
import type { SessionService, SignedIn } from './session.ts';
import { formFields, notFound, PageError, pageErrorHandler } from './error-page.ts';
import { OneTimeFlash } from './flash.ts';
import { seeOther } from './respond.ts';
import { page, type PageOptions } from './layout.ts';

/**
 * Who may see a page: anyone (`public`: no session is read), anyone with the
 * session read if there is one (`optional`), a signed-in user (`user`, the
 * default), or a signed-in admin (`admin`).
 */
export type PageAccess = 'public' | 'optional' | 'user' | 'admin';

/**
 * The CSRF token a POST must carry: the session's (`session`, the default
 * for signed-in routes), the double-submit token of a form shown before
 * sign-in (`pre-session`), the session's only if there is one
 * (`if-signed-in`: sign-out), or none.
 */
export type PageCsrf = 'session' | 'pre-session' | 'if-signed-in' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: PageAccess;
    csrf?: PageCsrf;
    /**
     * Where a signed-out visitor's POST goes after signing in: a page it can
     * GET. Default: the POST's own path. Null: refuse with an error page.
     */
    returnTo?: string | null | ((request: FastifyRequest) => string);
    /**
     * A part of a page fetched by its script (a live timeline, a stream), not
     * a page: it must not take the one-time notice meant for the next page.
     */
    fragment?: boolean;
  }
  interface FastifyRequest {
    /** The signed-in user; never null on `user` and `admin` routes. */
    signedIn: SignedIn | null;
    /** A POST's form fields, read and CSRF-checked by the page layer. */
    form: Record<string, string>;
    /** The one-time notice for this page, on a GET with a session. */
    notice: string | undefined;
  }
  interface FastifyReply {
    /** Leaves a one-time notice for the session's next page. */
    notice(text: string): FastifyReply;
  }
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/assets/gatehouse.css': { file: 'gatehouse.css', type: 'text/css; charset=utf-8' },
  '/assets/copy.js': { file: 'copy.js', type: 'text/javascript; charset=utf-8' },
  '/assets/run-live.js': { file: 'run-live.js', type: 'text/javascript; charset=utf-8' },
};

export interface PageLayerDeps {
  sessions: SessionService;
  issuer: string;
}

/** The signed-in user of a `user` or `admin` route (the access hook guarantees one). */
export function me(request: FastifyRequest): SignedIn {
  if (!request.signedIn) throw new Error('a signed-in page was reached without a session');
  return request.signedIn;
}

/**
 * Whether a POST comes from a page of this origin. Browsers send
 * Sec-Fetch-Site with every request; a sibling subdomain is `same-site`, not
 * `same-origin`. Origin is `null` on our own forms (Referrer-Policy
 * no-referrer), and absent from non-browser clients, which the CSRF token
 * still covers.
 */
function fromThisOrigin(request: FastifyRequest, issuerOrigin: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined || origin === 'null' || origin === issuerOrigin) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

const refused = () => new PageError(403, 'The form has expired or was not sent from this site. Go back, reload the page and try again.', 'Request refused');

export async function registerPageLayer(app: FastifyInstance, deps: PageLayerDeps): Promise<void> {
  const { sessions } = deps;
  const issuerOrigin = new URL(deps.issuer).origin;
  const notices = new OneTimeFlash<string>();

  await app.register(cookie);
  app.decorateRequest('signedIn', null);
  app.decorateRequest('form', null as unknown as Record<string, string>);
  app.decorateRequest('notice', undefined);
  app.decorateReply('notice', function notice(this: FastifyReply, text: string) {
    const signedIn = this.request.signedIn;
    if (signedIn) notices.put(signedIn.session.idHash, 'notice', text);
    return this;
  });
  app.setErrorHandler(pageErrorHandler);

  // A public POST must say which token it carries: no page is left unprotected by accident.
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const access = route.config?.access ?? 'user';
    if (methods.includes('POST') && (access === 'public' || access === 'optional') && route.config?.csrf === undefined) {
      throw new Error(`page route POST ${route.url} is ${access}: it must declare config.csrf`);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    const access = config.access ?? 'user';
    if (access === 'public') return;
    const signedIn = await sessions.current(request);
    request.signedIn = signedIn;
    if (signedIn && request.method === 'GET' && !config.fragment) request.notice = notices.take(signedIn.session.idHash, 'notice');
    if (access === 'optional') return;
    if (!signedIn) {
      const isRead = request.method === 'GET' || request.method === 'HEAD';
      const returnTo = isRead ? request.url : typeof config.returnTo === 'function' ? config.returnTo(request) : config.returnTo === undefined ? request.url.split('?', 1)[0]! : config.returnTo;
      if (returnTo === null) throw new PageError(403, 'You are no longer signed in. Go back and try again.', 'Request refused');
      return seeOther(reply, `/login?return_to=${encodeURIComponent(returnTo)}`);
    }
    if (access === 'admin' && !signedIn.user.isAdmin) throw notFound();
  });

  app.addHook('preValidation', async (request) => {
    if (request.method !== 'POST') return;
    if (!fromThisOrigin(request, issuerOrigin)) throw refused();
    const fields = formFields(request);
    request.form = fields;
    const config = request.routeOptions.config;
    const csrf = config.csrf ?? 'session';
    const signedIn = request.signedIn;
    const sessionTokenOk = signedIn !== null && sessions.csrfValid(signedIn, fields.csrf_token);
    if (csrf === 'session' && !sessionTokenOk) throw refused();
    if (csrf === 'if-signed-in' && signedIn !== null && !sessionTokenOk) throw refused();
    if (csrf === 'pre-session' && !sessions.preSessionCsrfValid(request, fields.csrf_token)) throw refused();
  });

  for (const [path, asset] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(`./assets/${asset.file}`, import.meta.url), 'utf8');
    app.get(path, { config: { access: 'public' } }, async (_request, reply) =>
      reply.type(asset.type).header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').send(body));
  }
}

/** A page for this request: its signed-in user (for the header), CSRF token and one-time notice filled in. */
export function renderPage(request: FastifyRequest, options: Omit<PageOptions, 'user' | 'csrfToken' | 'notice'>): string {
  const signedIn = request.signedIn;
  return page({ ...options, user: signedIn?.user, csrfToken: signedIn?.session.csrfToken, notice: request.notice });
}
