// /apps: the developer portal's applications (OAuth clients). A signed-in
// user sees and manages only the clients of their personal workspace; any
// other id is a 404, so ids of other people's apps cannot be probed. A new
// secret is shown once, on the page the browser is redirected to, from a
// one-time flash held in memory for the session.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { Client, User } from '../store/store.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { formFields, PageError } from '../web/error-page.ts';
import { csrfOk, signedInOrRedirect } from '../web/guard.ts';
import { OneTimeFlash } from '../web/flash.ts';
import { seeOther, sendPage } from '../web/plugin.ts';
import type { SignedIn } from '../web/session.ts';
import { formErrors, NEW_APP_DEFAULTS, readAppForm, uriLines, type AppFormValues } from './applications-form.ts';
import { appPath, deletePage, detailPage, listPage, newAppPage, readableTime, type FlashedSecret } from './applications-views.ts';

type Params = { Params: { client_id: string } };
const params = { params: { type: 'object', properties: { client_id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['client_id'] } };

/** The grace periods offered when rotating a secret, in seconds. */
const GRACE_CHOICES = new Set([0, 3600, 86_400]);

const notFound = () => new PageError(404, 'There is no application with this ID in your workspace.', 'Application not found');

export function applicationRoutes(app: FastifyInstance, services: Services): void {
  const { sessions, clients, store } = services;
  const secrets = new OneTimeFlash<FlashedSecret>();
  const notices = new OneTimeFlash<string>();

  /**
   * The signed-in user, or null after redirecting to sign-in. A POST sends
   * the browser back to `returnTo`, a page it can GET, rather than to itself.
   */
  async function signedInFor(request: FastifyRequest, reply: FastifyReply, returnTo?: string): Promise<SignedIn | null> {
    if (returnTo === undefined) return signedInOrRedirect(sessions, request, reply);
    const signedIn = await sessions.current(request);
    if (!signedIn) seeOther(reply, `/login?return_to=${encodeURIComponent(returnTo)}`);
    return signedIn;
  }

  async function workspaceOf(user: User): Promise<string> {
    const workspace = await store.workspaces.findPersonal(user.id);
    if (!workspace) throw new PageError(409, 'Your account has no workspace. Ask an administrator to check it.', 'No workspace');
    return workspace.id;
  }

  /** The client if it belongs to the user's workspace; a 404 page otherwise, never a 403. */
  async function ownClient(user: User, clientId: string): Promise<Client> {
    const [workspaceId, client] = await Promise.all([workspaceOf(user), clients.find(clientId)]);
    if (!client || client.workspaceId !== workspaceId) throw notFound();
    return client;
  }

  /** The app's page; a GET (not a HEAD, whose body nobody sees) uses up the one-time secret and notice. */
  const showDetail = async (request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn, client: Client) => {
    const key = appPath(client.clientId);
    const shown = request.method === 'GET';
    return sendPage(reply, detailPage(signedIn, client, {
      secret: shown ? secrets.take(signedIn.session.idHash, key) : undefined,
      notice: shown ? notices.take(signedIn.session.idHash, key) : undefined,
    }));
  };

  app.get('/apps', async (request, reply) => {
    const signedIn = await signedInFor(request, reply);
    if (!signedIn) return reply;
    const list = await clients.listInWorkspace(await workspaceOf(signedIn.user));
    const notice = request.method === 'GET' ? notices.take(signedIn.session.idHash, '/apps') : undefined;
    return sendPage(reply, listPage(signedIn, list, notice));
  });

  app.get('/apps/new', async (request, reply) => {
    const signedIn = await signedInFor(request, reply);
    if (!signedIn) return reply;
    return sendPage(reply, newAppPage(signedIn, NEW_APP_DEFAULTS));
  });

  app.post('/apps', async (request, reply) => {
    const signedIn = await signedInFor(request, reply, '/apps/new');
    if (!signedIn) return reply;
    const fields = formFields(request);
    if (!csrfOk(sessions, signedIn, fields.csrf_token, reply)) return reply;
    const values = readAppForm(fields);
    const invalid = (errors: Parameters<typeof newAppPage>[2]) => sendPage(reply, newAppPage(signedIn, values, errors), { status: 422 });
    // The form always sends a type; only a hand-made request leaves it out.
    if (values.type === '') return invalid({ client_type: ['Choose whether the application is confidential or public.'] });
    const redirectUris = uriLines(values.redirectUris);
    let issued;
    try {
      issued = await clients.create({
        workspaceId: await workspaceOf(signedIn.user),
        createdBy: signedIn.user.id,
        name: values.name,
        redirectUris,
        grantTypes: values.grants,
        scopes: values.scopes,
        isPublic: values.type === 'public',
      });
    } catch (error) {
      if (error instanceof ValidationError) return invalid(formErrors(error, redirectUris));
      throw error;
    }
    const { client, clientSecret } = issued;
    const key = appPath(client.clientId);
    if (clientSecret) secrets.put(signedIn.session.idHash, key, { secret: clientSecret, reason: 'created' });
    notices.put(signedIn.session.idHash, key, `${client.name} was created.`);
    return seeOther(reply, key);
  });

  app.get<Params>('/apps/:client_id', { schema: params }, async (request, reply) => {
    const signedIn = await signedInFor(request, reply);
    if (!signedIn) return reply;
    return showDetail(request, reply, signedIn, await ownClient(signedIn.user, request.params.client_id));
  });

  app.post<Params>('/apps/:client_id', { schema: params }, async (request, reply) => {
    const signedIn = await signedInFor(request, reply, appPath(request.params.client_id));
    if (!signedIn) return reply;
    const fields = formFields(request);
    if (!csrfOk(sessions, signedIn, fields.csrf_token, reply)) return reply;
    const client = await ownClient(signedIn.user, request.params.client_id);
    // The type cannot change: whatever the form says, it stays the client's.
    const values: AppFormValues = { ...readAppForm(fields), type: client.isPublic ? 'public' : 'confidential' };
    const redirectUris = uriLines(values.redirectUris);
    let updated: Client;
    try {
      updated = await clients.update(client.clientId, { name: values.name, redirectUris, grantTypes: values.grants, scopes: values.scopes });
    } catch (error) {
      if (error instanceof ValidationError) {
        return sendPage(reply, detailPage(signedIn, client, { form: { values, errors: formErrors(error, redirectUris) } }), { status: 422 });
      }
      if (error instanceof NotFoundError) throw notFound();
      throw error;
    }
    notices.put(signedIn.session.idHash, appPath(updated.clientId), 'Your changes were saved.');
    return seeOther(reply, appPath(updated.clientId));
  });

  app.post<Params>('/apps/:client_id/rotate-secret', { schema: params }, async (request, reply) => {
    const signedIn = await signedInFor(request, reply, appPath(request.params.client_id));
    if (!signedIn) return reply;
    const fields = formFields(request);
    if (!csrfOk(sessions, signedIn, fields.csrf_token, reply)) return reply;
    const client = await ownClient(signedIn.user, request.params.client_id);
    if (client.isPublic) throw new PageError(400, 'A public application has no secret to rotate.', 'Invalid request');
    const grace = Number(fields.grace);
    if (!/^\d+$/.test(fields.grace ?? '') || !GRACE_CHOICES.has(grace)) {
      throw new PageError(400, 'Choose how long the old secret keeps working: not at all, 1 hour or 24 hours.', 'Invalid request');
    }
    let rotated;
    try {
      rotated = await clients.rotateSecret(client.clientId, grace);
    } catch (error) {
      if (error instanceof NotFoundError) throw notFound();
      throw error;
    }
    const key = appPath(client.clientId);
    secrets.put(signedIn.session.idHash, key, { secret: rotated.clientSecret!, reason: 'rotated' });
    const until = rotated.client.previousSecretExpiresAt;
    notices.put(signedIn.session.idHash, key, until
      ? `A new secret was issued. The old secret keeps working until ${readableTime(until)}.`
      : 'A new secret was issued. The old secret no longer works.');
    return seeOther(reply, key);
  });

  app.get<Params>('/apps/:client_id/delete', { schema: params }, async (request, reply) => {
    const signedIn = await signedInFor(request, reply);
    if (!signedIn) return reply;
    return sendPage(reply, deletePage(signedIn, await ownClient(signedIn.user, request.params.client_id)));
  });

  app.post<Params>('/apps/:client_id/delete', { schema: params }, async (request, reply) => {
    const signedIn = await signedInFor(request, reply, appPath(request.params.client_id, '/delete'));
    if (!signedIn) return reply;
    const fields = formFields(request);
    if (!csrfOk(sessions, signedIn, fields.csrf_token, reply)) return reply;
    const client = await ownClient(signedIn.user, request.params.client_id);
    try {
      await clients.delete(client.clientId);
    } catch (error) {
      if (error instanceof NotFoundError) throw notFound();
      throw error;
    }
    notices.put(signedIn.session.idHash, '/apps', `${client.name} was deleted, and every token issued to it was revoked.`);
    return seeOther(reply, '/apps');
  });
}
