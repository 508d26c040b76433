// The browser portal: sign-in and the signed-in pages. Errors are pages.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { pageErrorHandler } from '../web/error-page.ts';
import { html } from '../web/html.ts';
import { page } from '../web/layout.ts';
import { seeOther, sendPage } from '../web/plugin.ts';
import { signInRoutes } from './sign-in.ts';

export async function portalPlugin(app: FastifyInstance, services: Services): Promise<void> {
  app.setErrorHandler(pageErrorHandler);
  signInRoutes(app, services);

  app.get('/', async (request, reply) => {
    const signedIn = await services.sessions.current(request);
    if (!signedIn) return seeOther(reply, '/login');
    const body = html`<div class="card"><h1>Welcome</h1><p>You are signed in as <strong>${signedIn.user.email}</strong>.</p></div>`;
    return sendPage(reply, page({ title: 'Home', body, user: signedIn.user, csrfToken: signedIn.session.csrfToken }));
  });
}
