// In real Chromium: a client that needs no consent (first-party, or consent
// already given) goes from the sign-in form straight back to the client.
// Chromium applies CSP form-action to every redirect after a form submission,
// so the sign-in page must allow the client's origin, or the browser stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.ts';
import { createClient, createUser } from './support/fixtures.ts';
import { launchChromium, startCallbackServer } from './support/chromium.ts';

test('sign-in redirects on to a first-party client through the authorization endpoint', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const callback = await startCallbackServer();
  t.after(() => callback.close());
  const user = await createUser(server);
  const client = await createClient(server, user.email, '--first-party', '--redirect-uri', callback.url);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const query = new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: callback.url, scope: 'process_read', state: 'abc' });
  await page.goto(`${server.url}/oauth/authorize?${query}`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  const arrived = callback.next();
  await page.click('button[type=submit]');
  const redirect = await arrived;
  assert.ok(redirect.searchParams.get('code'), redirect.href);
  assert.equal(redirect.searchParams.get('state'), 'abc');
  assert.equal(redirect.searchParams.get('iss'), server.url);
});
