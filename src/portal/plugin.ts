// The browser portal's pages. They live in the page layer's scope (see
// web/page-layer.ts), which handles sign-in, CSRF and errors for them.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { seeOther } from '../web/respond.ts';
import { signInRoutes } from './sign-in.ts';
import { applicationRoutes } from './applications.ts';
import { tokenPages } from './tokens.ts';
import { setupPages } from './setup.ts';
import { adminUserPages } from './admin-users.ts';
import { adminAuditPages } from './admin-audit.ts';
import { apiDocsPage } from './api-docs.ts';
import { apiReferencePage } from './api-reference.ts';
import { accountPages } from './account.ts';
import { passwordResetPages } from './password-reset.ts';
import { processListPages } from './processes.ts';
import { processPages } from './process-pages.ts';
import { runPages } from './run-pages.ts';
import { webhookPages } from './webhook-pages.ts';
import { authorizedAppsPage } from './authorized-apps.ts';
import { devicePages } from './device.ts';

export function portalPlugin(app: FastifyInstance, services: Services): void {
  signInRoutes(app, services);
  setupPages(app, services);
  passwordResetPages(app, services);
  applicationRoutes(app, services);
  processListPages(app, services);
  processPages(app, services);
  runPages(app, services);
  webhookPages(app, services);
  tokenPages(app, services);
  authorizedAppsPage(app, services);
  accountPages(app, services);
  adminUserPages(app, services);
  adminAuditPages(app, services);
  apiDocsPage(app, services);
  apiReferencePage(app);
  devicePages(app, services);

  // The portal starts at the applications list.
  app.get('/', { config: { access: 'optional' } }, async (request, reply) => seeOther(reply, request.signedIn ? '/apps' : '/login'));
}
