// /apps: the developer portal's applications (OAuth clients). A signed-in
// user sees and manages only the clients of their personal workspace; any
// other id is a 404, so ids of other people's apps cannot be probed. A new
// secret is shown once, on the page the browser is redirected to, from a
// one-time flash held in memory for the session.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { Client } from '../client/client.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { PageError } from '../web/error-page.ts';
import { OneTimeFlash } from '../web/flash.ts';
import { me } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { pageAuditContext } from '../web/audit-context.ts';
import { formErrors, NEW_APP_DEFAULTS, readAppForm, uriLines, type AppFormValues } from './applications-form.ts';
import { appPath, deletePage, detailPage, listPage, newAppPage, readableTime, rotateNowPage, type FlashedSecret } from './applications-views.ts';

type Params = { Params: { client_id: string } };
const params = { params: { type: 'object', properties: { client_id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['client_id'] } };
/** A signed-out POST to an app's URL returns to the app's page after sign-in. */
const backToApp = (request: FastifyRequest) => appPath((request.params as { client_id: string }).client_id);

/** The grace periods offered when rotating a secret, in seconds. */
const GRACE_CHOICES = new Set([0, 3600, 86_400]);

const notFound = () => new PageError(404, 'There is no application with this ID in your workspace.', 'Application not found');

export function applicationRoutes(app: FastifyInstance, services: Services): void {
  const { clients, users } = services;
  const secrets = new OneTimeFlash<FlashedSecret>();

  /** The client if it belongs to the user's workspace; a 404 page otherwise, never a 403. */
  async function ownClient(request: FastifyRequest, clientId: string): Promise<Client> {
    const [workspaceId, client] = await Promise.all([users.workspaceOf(me(request).user.id), clients.find(clientId)]);
    if (!client || client.workspaceId !== workspaceId) throw notFound();
    return client;
  }

  const actor = (request: FastifyRequest) => ({ admin: me(request).user.isAdmin });

  app.get('/apps', async (request, reply) =>
    sendPage(reply, listPage(request, await clients.listInWorkspace(await users.workspaceOf(me(request).user.id)))));

  app.get('/apps/new', async (request, reply) => sendPage(reply, newAppPage(request, NEW_APP_DEFAULTS)));

  app.post('/apps', { config: { returnTo: '/apps/new' } }, async (request, reply) => {
    const { user, session } = me(request);
    const values = readAppForm(request.form);
    const invalid = (errors: Parameters<typeof newAppPage>[2]) => sendPage(reply, newAppPage(request, values, errors), { status: 422 });
    // The form always sends a type; only a hand-made request leaves it out.
    if (values.type === '') return invalid({ client_type: ['Choose whether the application is confidential or public.'] });
    const redirectUris = uriLines(values.redirectUris);
    let issued;
    try {
      issued = await clients.create({
        workspaceId: await users.workspaceOf(user.id),
        createdBy: user.id,
        name: values.name,
        redirectUris,
        grantTypes: values.grants,
        scopes: values.scopes,
        isPublic: values.type === 'public',
      }, actor(request), pageAuditContext(request));
    } catch (error) {
      if (error instanceof ValidationError) return invalid(formErrors(error, redirectUris, values.purpose));
      throw error;
    }
    const { client, clientSecret } = issued;
    if (clientSecret) secrets.put(session.idHash, appPath(client.clientId), { secret: clientSecret, reason: 'created' });
    reply.notice(`${client.name} was created.`);
    return seeOther(reply, appPath(client.clientId));
  });

  app.get<Params>('/apps/:client_id', { schema: params }, async (request, reply) => {
    const client = await ownClient(request, request.params.client_id);
    // A GET (not a HEAD, whose body nobody sees) uses up the one-time secret.
    const secret = request.method === 'GET' ? secrets.take(me(request).session.idHash, appPath(client.clientId)) : undefined;
    return sendPage(reply, detailPage(request, client, { secret }));
  });

  app.post<Params>('/apps/:client_id', { schema: params, config: { returnTo: backToApp } }, async (request, reply) => {
    const client = await ownClient(request, request.params.client_id);
    // The type cannot change: whatever the form says, it stays the client's.
    const values: AppFormValues = { ...readAppForm(request.form), purpose: 'custom', type: client.isPublic ? 'public' : 'confidential' };
    const redirectUris = uriLines(values.redirectUris);
    let updated: Client;
    try {
      updated = await clients.update(client.clientId, { name: values.name, redirectUris, grantTypes: values.grants, scopes: values.scopes }, actor(request), pageAuditContext(request));
    } catch (error) {
      if (error instanceof ValidationError) {
        return sendPage(reply, detailPage(request, client, { form: { values, errors: formErrors(error, redirectUris) } }), { status: 422 });
      }
      if (error instanceof NotFoundError) throw notFound();
      throw error;
    }
    reply.notice('Your changes were saved.');
    return seeOther(reply, appPath(updated.clientId));
  });

  app.post<Params>('/apps/:client_id/rotate-secret', { schema: params, config: { returnTo: backToApp } }, async (request, reply) => {
    const fields = request.form;
    const client = await ownClient(request, request.params.client_id);
    if (client.isPublic) throw new PageError(400, 'A public application has no secret to rotate.', 'Invalid request');
    const grace = Number(fields.grace);
    if (!/^\d+$/.test(fields.grace ?? '') || !GRACE_CHOICES.has(grace)) {
      throw new PageError(400, 'Choose how long the old secret keeps working: not at all, 1 hour or 24 hours.', 'Invalid request');
    }
    // No grace breaks whatever still uses the old secret: ask first.
    if (grace === 0 && fields.confirm !== 'yes') return sendPage(reply, rotateNowPage(request, client));
    let rotated;
    try {
      rotated = await clients.rotateSecret(client.clientId, grace, pageAuditContext(request));
    } catch (error) {
      if (error instanceof NotFoundError) throw notFound();
      throw error;
    }
    secrets.put(me(request).session.idHash, appPath(client.clientId), { secret: rotated.clientSecret!, reason: 'rotated' });
    const until = rotated.client.previousSecretExpiresAt;
    reply.notice(until
      ? `A new secret was issued. The old secret keeps working until ${readableTime(until)}.`
      : 'A new secret was issued. The old secret no longer works.');
    return seeOther(reply, appPath(client.clientId));
  });

  app.get<Params>('/apps/:client_id/delete', { schema: params }, async (request, reply) =>
    sendPage(reply, deletePage(request, await ownClient(request, request.params.client_id))));

  app.post<Params>('/apps/:client_id/delete', { schema: params }, async (request, reply) => {
    const client = await ownClient(request, request.params.client_id);
    try {
      await clients.delete(client.clientId, pageAuditContext(request));
    } catch (error) {
      if (error instanceof NotFoundError) throw notFound();
      throw error;
    }
    reply.notice(`${client.name} was deleted, and every token issued to it was revoked.`);
    return seeOther(reply, '/apps');
  });
}
