// Browser sessions: a random cookie value whose SHA-256 is the stored key,
// with a per-session CSRF token. The id rotates at sign-in (a new session).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session, Store, User } from '../store/store.ts';
import { hashSecret, randomToken, safeEqual } from '../security/secrets.ts';

export const SESSION_COOKIE = 'gh_session';
/** Double-submit CSRF cookie for forms shown before sign-in. */
export const PRE_SESSION_CSRF_COOKIE = 'gh_csrf';
const SESSION_TTL_MS = 12 * 3600 * 1000;

export interface SignedIn {
  session: Session;
  user: User;
}

export class SessionService {
  readonly #store: Store;
  readonly #secureCookies: boolean;

  constructor(store: Store, issuer: string) {
    this.#store = store;
    this.#secureCookies = issuer.startsWith('https:');
  }

  cookieOptions(maxAgeSeconds?: number) {
    return {
      path: '/',
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.#secureCookies,
      ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
    };
  }

  /** Starts a new session for `user`, replacing any session the browser had. */
  async signIn(request: FastifyRequest, reply: FastifyReply, user: User): Promise<Session> {
    await this.signOut(request, reply);
    const id = randomToken(32);
    const now = Date.now();
    const session: Session = {
      idHash: hashSecret(id),
      userId: user.id,
      csrfToken: randomToken(32),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + SESSION_TTL_MS).toISOString(),
    };
    await this.#store.sessions.insert(session);
    reply.setCookie(SESSION_COOKIE, id, this.cookieOptions(SESSION_TTL_MS / 1000));
    return session;
  }

  /** The signed-in user, or null when the cookie is missing, unknown, expired, or the user is disabled. */
  async current(request: FastifyRequest): Promise<SignedIn | null> {
    const id = request.cookies[SESSION_COOKIE];
    if (!id) return null;
    const session = await this.#store.sessions.findByHash(hashSecret(id));
    if (!session || session.expiresAt <= new Date().toISOString()) return null;
    const user = await this.#store.users.findById(session.userId);
    if (!user || user.disabledAt !== null) return null;
    return { session, user };
  }

  async signOut(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const id = request.cookies[SESSION_COOKIE];
    if (id) await this.#store.sessions.delete(hashSecret(id));
    reply.clearCookie(SESSION_COOKIE, this.cookieOptions());
  }

  /** A CSRF token for a form shown to a visitor without a session (double-submit cookie). */
  preSessionCsrf(request: FastifyRequest, reply: FastifyReply): string {
    let token = request.cookies[PRE_SESSION_CSRF_COOKIE];
    if (!token || token.length < 32) {
      token = randomToken(32);
      reply.setCookie(PRE_SESSION_CSRF_COOKIE, token, this.cookieOptions());
    }
    return token;
  }

  preSessionCsrfValid(request: FastifyRequest, submitted: string | undefined): boolean {
    const cookie = request.cookies[PRE_SESSION_CSRF_COOKIE];
    return Boolean(cookie && submitted && safeEqual(cookie, submitted));
  }

  csrfValid(signedIn: SignedIn, submitted: string | undefined): boolean {
    return Boolean(submitted && safeEqual(signedIn.session.csrfToken, submitted));
  }
}
