// Every page of the portal, in real Chromium, checked by axe-core (no serious
// or critical violation, WCAG 2.2 AA), at desktop width and at 390 px, where
// every table must keep its actions on screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.ts';
import { launchChromium } from './support/chromium.ts';
import { assertOnScreen, contrastRatio, describeViolations, seriousViolations } from './support/axe.ts';
import { createClient, createProcess, createUser } from './support/fixtures.ts';
import { passwordClient, userTokens } from './support/user-tokens.ts';

const ADMIN = { email: 'a11y-admin@example.test', password: 'a long admin password' };

test('axe finds no serious or critical violation on any page, at 1280 px and at 390 px; tables keep their actions in view', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const failures: string[] = [];
  const checked: string[] = [];

  const audit = async (what: string) => {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const violations = await seriousViolations(page);
      if (violations.length > 0) failures.push(describeViolations(`${what} at ${width}px`, violations));
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    checked.push(what);
  };
  const visit = async (path: string, what = path) => {
    await page.goto(`${server.url}${path}`);
    await audit(what);
  };

  // Signed out, and first run.
  const setupUrl = /(http:\/\/\S+\/setup\?token=[\w-]+)/.exec(server.log())![1]!;
  await page.goto(setupUrl);
  await audit('/setup');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password').fill('not the same');
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await audit('/setup with an error');
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await page.waitForURL((url) => url.pathname === '/apps');

  // Data for every page to show something.
  await visit('/apps', '/apps (empty)');
  await visit('/processes', '/processes (empty)');
  await visit('/account/authorized-apps', '/account/authorized-apps (empty)');
  const member = await createUser(server);
  const processId = (await createProcess(server, ADMIN.email, 'Month-end close')).id;
  const app = await createClient(server, ADMIN.email, '--redirect-uri', 'https://app.example.test/callback', '--name', 'Reporter');
  const thirdParty = await passwordClient(server, member.email, '--name', 'Ledger sync');
  await userTokens(server, thirdParty, ADMIN);
  const device = await createClient(server, member.email, '--name', 'Thermostat', '--grant', 'urn:ietf:params:oauth:grant-type:device_code');

  await visit('/processes');
  await visit('/apps');
  await visit('/apps/new');
  await page.getByLabel('Application name').fill('');
  await page.getByRole('button', { name: 'Create application' }).click();
  await audit('/apps/new with errors');
  await visit(`/apps/${app.client_id}`);
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await audit('the rotation confirmation');
  await visit(`/apps/${app.client_id}/delete`);
  await visit('/tokens');
  await page.getByLabel('Name', { exact: true }).fill('Nightly export');
  await page.getByRole('checkbox', { name: /^process_read\b/ }).check();
  await page.getByRole('button', { name: 'Generate token' }).click();
  await audit('/tokens with a new token');
  const revokeLink = await page.getByRole('link', { name: 'Revoke Nightly export…' }).getAttribute('href');
  await visit(revokeLink!, 'the token revocation confirmation');
  await visit('/account');
  await visit('/account/authorized-apps');
  await visit(`/account/authorized-apps/${thirdParty.client_id}/revoke`, 'the app revocation confirmation');
  await visit('/docs');
  await visit('/admin/users');
  await page.getByRole('button', { name: `Reset password of ${member.email}` }).click();
  await audit('/admin/users with a reset link');
  const resetLink = await page.getByRole('textbox', { name: 'Reset link' }).inputValue();
  await visit('/admin/audit');
  await visit(`/admin/audit?action=user.registered&actor=${encodeURIComponent(ADMIN.email)}&from=2001-01-01`, '/admin/audit, filtered');
  await visit('/device');
  const started = await (await fetch(`${server.url}/oauth/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: device.client_id, client_secret: device.client_secret! }) })).json() as { user_code: string };
  await page.getByLabel('Code').fill(started.user_code);
  await page.getByRole('button', { name: 'Continue' }).click();
  // The click starts a navigation; axe must run on the page it lands on.
  await page.getByRole('heading', { name: 'Connect Thermostat?' }).waitFor();
  await audit('the device approval page');
  await visit(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: thirdParty.client_id, scope: 'process_read', redirect_uri: 'https://app.example.test/callback' })}`, 'an authorization error page');
  await visit(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.client_id, scope: 'process_read' })}`, 'the consent page');
  await visit('/no-such-page', 'the 404 page');
  await visit(`/processes?after=${processId}`, '/processes, a page past the end');

  // 390 px: every table's actions stay on screen.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [path, action] of [
    ['/tokens', /^Revoke/], ['/account/authorized-apps', /^Revoke access/], ['/admin/users', /^(Disable|Reset)/], ['/account', /^Sign out/],
  ] as const) {
    await page.goto(`${server.url}${path}`);
    const controls = page.locator('table').getByRole(path === '/admin/users' || path === '/account' ? 'button' : 'link', { name: action });
    const count = await controls.count();
    assert.ok(count > 0 || path === '/account', `${path} has actions`);
    for (let i = 0; i < count; i++) await assertOnScreen(page, controls.nth(i), `${path}: ${await controls.nth(i).textContent()}`);
  }

  // The keyboard focus ring stands out from what is around it by 3:1 or more (WCAG 2.2).
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.url}/processes`);
  for (const [target, background] of [['#process-name', '#ffffff'], ['nav[aria-label=Portal] a', '#ffffff'], ['.skip', '#f6f7f9']] as const) {
    await page.locator(target).first().focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.locator(target).first().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { outlineColor: string } }).getComputedStyle(el).outlineColor);
    const ratio = contrastRatio(outline, background);
    assert.ok(ratio >= 3, `the focus ring of ${target} (${outline}) has ${ratio.toFixed(2)}:1 against ${background}`);
  }

  // Signed out: sign-in (with and without an app to continue to) and the reset page.
  await context.clearCookies();
  await visit('/login');
  await visit(`/login?return_to=${encodeURIComponent(`/oauth/authorize?response_type=code&client_id=${app.client_id}&scope=process_read`)}`, '/login for an app');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await audit('/login with an error');
  await visit(new URL(resetLink).pathname + new URL(resetLink).search, '/reset-password');

  assert.ok(checked.length >= 30, `pages checked: ${checked.length}`);
  assert.equal(failures.join('\n'), '', 'no serious or critical violations');
});
