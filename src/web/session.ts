// Browser sessions: a random cookie value whose SHA-256 is the stored key,
// with a per-session CSRF token. The id rotates at sign-in (a new session).
//
// Under an https issuer the cookies carry the `__Host-` prefix: the browser
// then takes them only from this origin, with Secure and Path=/ and no Domain,
// so a sibling subdomain cannot plant or overwrite them.
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/store.ts';
import type { Session, User } from '../user/user.ts';
import { hashSecret, randomToken, safeEqual } from '../security/secrets.ts';
import { isoTime } from '../ids.ts';

const SESSION_TTL_MS = 12 * 3600 * 1000;
/** How often a session's "last seen" is written: not on every page. */
const TOUCH_INTERVAL_MS = 5 * 60 * 1000;
/** A sign-in form's pre-session CSRF token is good for this long. */
const PRE_SESSION_TTL_MS = 24 * 3600 * 1000;
const MAX_USER_AGENT = 300;

export interface SignedIn {
  session: Session;
  user: User;
}

/** A session as the account page lists it: never its cookie or its hash. */
export interface SessionSummary {
  /** A stable handle for ending it (derived from the hash; reveals nothing). */
  id: string;
  current: boolean;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string | null;
}

/** The public handle of a session: the hash of its hash, cut short. */
const handleOf = (session: Session): string => hashSecret(`session:${session.idHash}`).slice(0, 22);

export class SessionService {
  readonly #store: Store;
  readonly #secureCookies: boolean;
  readonly #csrfKey: string;
  /** The cookie names: `__Host-` prefixed under https. */
  readonly sessionCookie: string;
  readonly preSessionCookie: string;

  /** `csrfKey`: a server-wide secret (shared by every node) that signs pre-session CSRF tokens. */
  constructor(store: Store, issuer: string, csrfKey: string) {
    this.#store = store;
    this.#secureCookies = issuer.startsWith('https:');
    this.#csrfKey = csrfKey;
    const prefix = this.#secureCookies ? '__Host-' : '';
    this.sessionCookie = `${prefix}gh_session`;
    this.preSessionCookie = `${prefix}gh_csrf`;
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
      createdAt: isoTime(now),
      expiresAt: isoTime(now + SESSION_TTL_MS),
      userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT) ?? null,
      ip: request.ip,
      lastSeenAt: isoTime(now),
    };
    await this.#store.sessions.insert(session);
    reply.setCookie(this.sessionCookie, id, this.cookieOptions(SESSION_TTL_MS / 1000));
    return session;
  }

  /** The signed-in user, or null when the cookie is missing, unknown, expired, or the user is disabled. */
  async current(request: FastifyRequest): Promise<SignedIn | null> {
    const id = request.cookies[this.sessionCookie];
    if (!id) return null;
    const session = await this.#store.sessions.findByHash(hashSecret(id));
    const now = Date.now();
    if (!session || session.expiresAt <= isoTime(now)) return null;
    const user = await this.#store.users.findById(session.userId);
    if (!user || user.disabledAt !== null) return null;
    if (session.lastSeenAt === null || now - Date.parse(session.lastSeenAt) > TOUCH_INTERVAL_MS) {
      session.lastSeenAt = isoTime(now);
      void this.#store.sessions.touch(session.idHash, session.lastSeenAt).catch(() => {});
    }
    return { session, user };
  }

  async signOut(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const id = request.cookies[this.sessionCookie];
    if (id) await this.#store.sessions.delete(hashSecret(id));
    reply.clearCookie(this.sessionCookie, this.cookieOptions());
  }

  /** The user's live sessions, the current one first. */
  async list(signedIn: SignedIn): Promise<SessionSummary[]> {
    const sessions = await this.#store.sessions.listForUser(signedIn.user.id, isoTime(Date.now()));
    return sessions
      .map((s) => ({
        id: handleOf(s), current: s.idHash === signedIn.session.idHash, userAgent: s.userAgent, ip: s.ip, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt,
      }))
      .sort((a, b) => Number(b.current) - Number(a.current));
  }

  /** Ends one of the user's other sessions by its handle; false if there is none. */
  async end(signedIn: SignedIn, handle: string): Promise<boolean> {
    const sessions = await this.#store.sessions.listForUser(signedIn.user.id, isoTime(Date.now()));
    const target = sessions.find((s) => safeEqual(handleOf(s), handle));
    if (!target) return false;
    await this.#store.sessions.delete(target.idHash);
    return true;
  }

  /** Ends every session of the user but the current one; returns how many ended. */
  endOthers(signedIn: SignedIn, store: Store = this.#store): Promise<number> {
    return store.sessions.deleteForUser(signedIn.user.id, signedIn.session.idHash);
  }

  /**
   * A CSRF token for a form shown to a visitor without a session
   * (double-submit cookie). The token is `nonce.time.mac`, the mac keyed
   * with the server's secret, so only this server can make one; a planted
   * value of the visitor's (or an attacker's) choosing is refused.
   */
  preSessionCsrf(request: FastifyRequest, reply: FastifyReply): string {
    const existing = request.cookies[this.preSessionCookie];
    if (existing && this.#preSessionTokenValid(existing)) return existing;
    const nonce = randomToken(16);
    const issued = Math.floor(Date.now() / 1000).toString(36);
    const token = `${nonce}.${issued}.${this.#mac(`${nonce}.${issued}`)}`;
    reply.setCookie(this.preSessionCookie, token, this.cookieOptions());
    return token;
  }

  preSessionCsrfValid(request: FastifyRequest, submitted: string | undefined): boolean {
    const cookie = request.cookies[this.preSessionCookie];
    return Boolean(cookie && submitted && safeEqual(cookie, submitted) && this.#preSessionTokenValid(cookie));
  }

  csrfValid(signedIn: SignedIn, submitted: string | undefined): boolean {
    return Boolean(submitted && safeEqual(signedIn.session.csrfToken, submitted));
  }

  #mac(value: string): string {
    return createHmac('sha256', this.#csrfKey).update(value).digest('base64url');
  }

  #preSessionTokenValid(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const [nonce, issued, mac] = parts as [string, string, string];
    const issuedMs = parseInt(issued, 36) * 1000;
    if (!Number.isFinite(issuedMs) || Date.now() - issuedMs > PRE_SESSION_TTL_MS || issuedMs > Date.now() + 60_000) return false;
    return safeEqual(this.#mac(`${nonce}.${issued}`), mac);
  }
}
