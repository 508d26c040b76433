// A browser reduced to plain HTTP: a cookie jar, manual redirects, and form
// fields read from the returned HTML. Enough to drive sign-in and consent.
import assert from 'node:assert/strict';
import type { TestServer } from './server.ts';

export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The Location header resolved against the request URL, if any. */
  location: URL | null;
}

interface StoredCookie {
  value: string;
  /** The Set-Cookie line that last set it, for attribute checks. */
  line: string;
}

export class CookieBrowser {
  readonly cookies = new Map<string, StoredCookie>();
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  cookie(name: string): StoredCookie | undefined {
    return this.cookies.get(name);
  }

  async request(path: string | URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, c]) => `${name}=${c.value}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.#store(line);
    const location = response.headers.get('location');
    return { status: response.status, headers: response.headers, text: await response.text(), location: location === null ? null : new URL(location, url) };
  }

  get(path: string | URL): Promise<PageResponse> {
    return this.request(path);
  }

  post(path: string | URL, form: Record<string, string>): Promise<PageResponse> {
    return this.request(path, { form });
  }

  /** Follows redirects while they stay on the server; returns the first response that is not one. */
  async follow(path: string | URL, form?: Record<string, string>): Promise<PageResponse> {
    let response = await this.request(path, { form });
    for (let hops = 0; response.location && response.location.origin === new URL(this.base).origin; hops++) {
      assert.ok(hops < 10, 'too many redirects');
      response = await this.get(response.location);
    }
    return response;
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const expired = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()));
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, { value, line });
  }
}

/** The fields of the form posting to `action` in `html`: hidden inputs and the named value of `button`. */
export function formFields(html: string, action: string): Record<string, string> {
  const form = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]).find((f) => f.includes(`action="${action}"`));
  assert.ok(form, `the page has a form posting to ${action}:\n${html}`);
  const fields: Record<string, string> = {};
  for (const [input] of form.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input)?.[1];
    const value = /value="([^"]*)"/.exec(input)?.[1] ?? '';
    if (name) fields[unescape(name)] = unescape(value);
  }
  return fields;
}

const unescape = (value: string) =>
  value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Submits the sign-in form shown at `loginPage` (already fetched); returns the response to the POST. */
export function submitSignIn(browser: CookieBrowser, loginPage: PageResponse, email: string, password: string): Promise<PageResponse> {
  return browser.post('/login', { ...formFields(loginPage.text, '/login'), email, password });
}

/** Signs in from a fresh /login page; asserts success. */
export async function signIn(browser: CookieBrowser, email: string, password: string): Promise<void> {
  const response = await submitSignIn(browser, await browser.get('/login'), email, password);
  assert.equal(response.status, 303, response.text);
}

export const authorizeUrl = (server: TestServer, params: Record<string, string>) =>
  `${server.url}/oauth/authorize?${new URLSearchParams(params)}`;

/**
 * Runs an authorization request to its end in `browser`: signs in if asked
 * to, approves (or denies) consent if it is shown, and returns the redirect
 * back to the client.
 */
export async function authorizeInBrowser(
  browser: CookieBrowser,
  url: string,
  options: { email?: string; password?: string; decision?: 'approve' | 'deny' } = {},
): Promise<{ callback: URL; sawConsent: boolean }> {
  let response = await browser.follow(url);
  if (response.status === 200 && response.text.includes('action="/login"')) {
    assert.ok(options.email && options.password, 'sign-in is needed: give email and password');
    response = await browser.follow('/login', { ...formFields(response.text, '/login'), email: options.email, password: options.password });
  }
  let sawConsent = false;
  if (response.status === 200 && response.text.includes('action="/oauth/authorize"')) {
    sawConsent = true;
    response = await browser.post('/oauth/authorize', { ...formFields(response.text, '/oauth/authorize'), decision: options.decision ?? 'approve' });
  }
  assert.equal(response.status, 303, `expected a redirect to the client: ${response.status} ${response.text}`);
  return { callback: response.location!, sawConsent };
}
