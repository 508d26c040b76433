// The authorization endpoint is a browser page, so unlike the rest of the
// authorization server (oauth/plugin.ts, JSON errors) it lives in the page
// layer's scope (web/page-layer.ts): its errors are pages, and its consent
// form is CSRF-checked like every other.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { authorizeEndpoint } from './endpoints/authorize.ts';

export function authorizePlugin(app: FastifyInstance, services: Services): void {
  authorizeEndpoint(app, services);
}
