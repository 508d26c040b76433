// The fast tier: Gatehouse built in this process and driven with app.inject,
// no socket and no child process, on a fresh SQLite file (or a fresh
// PostgreSQL schema when TEST_DATABASE_URL is set), like a real server's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import { createServices, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import { freshDatabase } from './server.ts';
import { SYSTEM } from './audit.ts';

export const TEST_ISSUER = 'http://gatehouse.test';

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  /** Every log line written so far. */
  log(): string;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-app-'));
  const database = await freshDatabase(dataDir);
  const config = loadConfig({ DATABASE_URL: database.url, GATEHOUSE_ISSUER: TEST_ISSUER, LOG_LEVEL: 'info', ...env });
  const services = await createServices(config);
  let logged = '';
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk);
      done();
    },
  });
  const app = await buildApp(services, { logStream });
  await app.ready();
  await services.startBackground(app.log);
  return {
    app,
    services,
    log: () => logged,
    inject: (options) => app.inject(options),
    async close() {
      await app.close();
      await services.close(1000);
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A cookie jar over app.inject: enough to sign in and post forms. */
export class InjectBrowser {
  readonly #app: TestApp;
  readonly cookies = new Map<string, string>();

  constructor(app: TestApp) {
    this.#app = app;
  }

  async request(method: 'GET' | 'POST' | 'HEAD', url: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await this.#app.inject({
      method,
      url,
      headers: { ...headers, ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    for (const c of response.cookies as Array<{ name: string; value: string; maxAge?: number }>) {
      if (c.value === '' || c.maxAge === 0) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return response;
  }

  get(url: string, headers?: Record<string, string>) {
    return this.request('GET', url, undefined, headers);
  }

  post(url: string, form: Record<string, string>, headers?: Record<string, string>) {
    return this.request('POST', url, form, headers);
  }

  /** Signs in through the form; asserts nothing, returns the POST's response. */
  async signIn(email: string, password: string): Promise<LightMyRequestResponse> {
    const login = await this.get('/login');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(login.body)?.[1] ?? '';
    return this.post('/login', { csrf_token: csrf, return_to: '/', email, password });
  }

  /** The CSRF token of the signed-in page at `url`. */
  async csrf(url = '/account'): Promise<string> {
    const page = await this.get(url);
    return /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  }
}

export const PASSWORD = 'correct horse battery';
let users = 0;

/** A user made through the service, with PASSWORD. */
export function createTestUser(t: TestApp, options: { admin?: boolean; label?: string } = {}) {
  return t.services.users.create({ email: `${options.label ?? 'user'}-${process.pid}-${++users}@example.test`, password: PASSWORD, admin: options.admin ?? false }, SYSTEM);
}

/** A browser signed in as `user`; throws unless sign-in succeeded. */
export async function signedInBrowser(t: TestApp, user: { email: string }, password = PASSWORD): Promise<InjectBrowser> {
  const browser = new InjectBrowser(t);
  const response = await browser.signIn(user.email, password);
  if (response.statusCode !== 303) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  return browser;
}
