// The authorization endpoint is a browser page, so unlike the rest of the
// authorization server (oauth/plugin.ts, JSON errors) its errors are pages.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { pageErrorHandler } from '../web/error-page.ts';
import { authorizeEndpoint } from './endpoints/authorize.ts';

export async function authorizePlugin(app: FastifyInstance, services: Services): Promise<void> {
  app.setErrorHandler(pageErrorHandler);
  authorizeEndpoint(app, services);
}
