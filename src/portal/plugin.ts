// The browser portal: sign-in and the signed-in pages. Errors are pages.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { pageErrorHandler } from '../web/error-page.ts';
import { seeOther } from '../web/plugin.ts';
import { signInRoutes } from './sign-in.ts';
import { applicationRoutes } from './applications.ts';
import { tokenPages } from './tokens.ts';
import { setupPages } from './setup.ts';
import { adminUserPages } from './admin-users.ts';
import { apiDocsPage } from './api-docs.ts';

export async function portalPlugin(app: FastifyInstance, services: Services): Promise<void> {
  app.setErrorHandler(pageErrorHandler);
  signInRoutes(app, services);
  applicationRoutes(app, services);
  tokenPages(app, services);
  setupPages(app, services);
  adminUserPages(app, services);
  apiDocsPage(app, services);

  // The portal starts at the applications list.
  app.get('/', async (request, reply) => seeOther(reply, (await services.sessions.current(request)) ? '/apps' : '/login'));
}
