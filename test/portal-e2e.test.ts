// The developer portal as a new user meets it, in real Chromium, on a server
// started the README's way (`npm start`) with an empty database: first-run
// set-up from the URL in the log, a process made on the Processes page, an
// application made the SolveXia guide's way (name and callback URL) whose
// credentials run the guide's script, its secret rotated with and without a
// grace period, a personal access token used by the ProcessMaker guide's PAT
// script and then revoked, an app authorized through the code flow and then
// revoked, a new member who sets a password from the admin's reset link and
// changes it later, and the tables at 390 px.
//
// Locators go by role and accessible name (getByRole, getByLabel), so the
// test also checks that every control it uses is labelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startServer } from './support/server.ts';
import { launchChromium, startCallbackServer } from './support/chromium.ts';
import { fetchJson, tokenRequest, type JsonResponse } from './support/http.ts';
import { within } from './support/user-tokens.ts';
import { fillPlaceholders, PROCESSMAKER_GUIDE, PYTHON, pythonBlocks, readGuide, SOLVEXIA_GUIDE } from './support/seeds.ts';
import { assertOnScreen } from './support/axe.ts';

const INSTANCE = 'https://<your-instance>.processmaker.net';
const EMAIL = 'admin@example.test';
const PASSWORD = 'a long admin password';
const APP_NAME = 'Month-end reporter';
const TOKEN_NAME = 'Nightly export';
const MEMBER = 'new.member@example.test';
const MEMBER_PASSWORD = 'my own long password';



test('a new user sets up Gatehouse, makes a process and an app the guide\'s way that runs the guide\'s script, rotates its secret, uses and revokes a PAT, authorizes and revokes the app, resets and changes a member\'s password; tables fit 390 px', async (t) => {
  const server = await startServer({ viaNpm: true });
  t.after(() => server.stop());
  const callback = await startCallbackServer();
  t.after(() => callback.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  const portalNav = page.getByRole('navigation', { name: 'Portal' });

  const clientCredentials = (clientId: string, clientSecret: string): Promise<JsonResponse> =>
    tokenRequest(server, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });

  // a. The one-time set-up URL from the log creates the admin, who lands signed in.
  const setupUrl = /(http:\/\/\S+\/setup\?token=[A-Za-z0-9_-]+)/.exec(server.log())?.[1];
  assert.ok(setupUrl, `the server logged a set-up URL:\n${server.log()}`);
  await page.goto(setupUrl);
  await page.getByRole('heading', { name: 'Set up Gatehouse' }).waitFor();
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await page.waitForURL((url) => url.pathname === '/apps');
  await page.getByRole('navigation', { name: 'Account' }).getByText(EMAIL).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Sign out' }).isVisible());
  // The set-up link worked once.
  assert.equal((await fetch(setupUrl)).status, 404);

  // b0. Processes: what a process is, then one made here, with its id on the page.
  await portalNav.getByRole('link', { name: 'Processes' }).click();
  await page.getByRole('heading', { name: 'No processes yet' }).waitFor();
  await page.getByLabel('Name').fill('Month-end close');
  await page.getByLabel('Description (optional)').fill('Reconciles the ledger');
  await page.getByRole('button', { name: 'Create process' }).click();
  await page.getByText(/^Created “Month-end close”, ID p-/).waitFor();
  const processId = (await page.getByRole('row', { name: /Month-end close/ }).locator('code').textContent())!;
  assert.match(processId, /^p-[a-z0-9]+$/);

  // b. Applications → New application, the guide's way: a name and a callback URL; the secret is on the next page only.
  await portalNav.getByRole('link', { name: 'Applications' }).click();
  await page.getByRole('heading', { name: 'No applications yet' }).waitFor();
  await page.getByRole('link', { name: 'New application' }).click();
  await page.getByRole('heading', { name: 'New application' }).waitFor();
  await page.getByLabel('Application name').fill(APP_NAME);
  await page.getByLabel('Callback URLs').fill(callback.url);
  // The first question; its default makes what the seed guide's "name and callback URL" needs.
  assert.ok(await page.getByRole('radio', { name: 'Both: a service that also acts for people' }).isChecked(), '"both" by default');
  await page.getByRole('button', { name: 'Create application' }).click();
  await page.getByRole('heading', { name: APP_NAME, level: 1 }).waitFor();
  await page.getByText(`${APP_NAME} was created.`).waitFor();
  const clientId = await page.getByLabel('Client ID', { exact: true }).inputValue();
  const firstSecret = await page.getByLabel('Client secret', { exact: true }).inputValue();
  assert.match(clientId, /\S{8,}/);
  assert.match(firstSecret, /\S{32,}/);
  assert.equal(new URL(page.url()).pathname, `/apps/${encodeURIComponent(clientId)}`);
  await page.reload();
  assert.equal(await page.getByLabel('Client secret', { exact: true }).count(), 0, 'no secret field after a reload');
  assert.ok(!(await page.content()).includes(firstSecret), 'the secret is gone from the page');
  await page.getByText('Hidden. A secret is shown only once').waitFor();

  // c. The secret works: the SolveXia guide's script, placeholders filled, prints the process.
  const first = await clientCredentials(clientId, firstSecret);
  assert.equal(first.status, 200, first.text);
  assert.equal(typeof first.body.access_token, 'string');
  const seed000 = join(server.dataDir, 'seed000.py');
  writeFileSync(seed000, fillPlaceholders(pythonBlocks(readGuide(SOLVEXIA_GUIDE))[1]!, {
    '"your_client_id"': JSON.stringify(clientId),
    '"your_client_secret"': JSON.stringify(firstSecret),
    '"https://your_environment_name.solvexia.com"': JSON.stringify(server.url),
    "'your_process_id'": `'${processId}'`,
  }));
  const printed = await run(PYTHON, [seed000]);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, new RegExp(`'id': '${processId}'`), printed.stdout);
  assert.match(printed.stdout, /'name': 'Month-end close'/);

  // d. Rotate with a 1-hour grace: both secrets work. Rotate again with none: the previous one stops.
  await page.getByRole('radio', { name: '1 hour' }).check();
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByText('A new secret was issued. The old secret keeps working until').waitFor();
  const secondSecret = await page.getByLabel('Client secret', { exact: true }).inputValue();
  assert.notEqual(secondSecret, firstSecret);
  assert.equal((await clientCredentials(clientId, firstSecret)).status, 200, 'the old secret works during the grace period');
  assert.equal((await clientCredentials(clientId, secondSecret)).status, 200, 'the new secret works');

  await page.getByRole('radio', { name: /^No grace/ }).check();
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('heading', { name: `Rotate the secret of ${APP_NAME} with no grace period?` }).waitFor();
  assert.equal((await clientCredentials(clientId, secondSecret)).status, 200, 'asking rotates nothing');
  await page.getByRole('button', { name: 'Rotate now' }).click();
  await page.getByText('A new secret was issued. The old secret no longer works.').waitFor();
  const thirdSecret = await page.getByLabel('Client secret', { exact: true }).inputValue();
  assert.equal((await clientCredentials(clientId, thirdSecret)).status, 200, 'the newest secret works');
  for (const ended of [secondSecret, firstSecret]) {
    const refused = await clientCredentials(clientId, ended);
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.body.error, 'invalid_client');
  }

  // e. A personal access token, used by the seed guide's PAT script.
  await portalNav.getByRole('link', { name: 'Tokens' }).click();
  await page.getByRole('heading', { name: 'Personal access tokens' }).waitFor();
  await page.getByText('You have no personal access tokens yet.').waitFor();
  await page.getByLabel('Name', { exact: true }).fill(TOKEN_NAME);
  await page.getByRole('checkbox', { name: /^process_read\b/ }).check();
  await page.getByLabel('Expiration').selectOption({ label: '30 days' });
  await page.getByRole('button', { name: 'Generate token' }).click();
  await page.getByRole('heading', { name: `Your new token “${TOKEN_NAME}”` }).waitFor();
  const pat = await page.getByLabel('Token', { exact: true }).inputValue();
  assert.match(pat, /^\S{20,}$/);

  const script = pythonBlocks(readGuide(PROCESSMAKER_GUIDE))[2] ?? '';
  assert.ok(script.includes('<your-personal-access-token>'), 'the third Python block is the PAT script');
  const scriptPath = join(server.dataDir, 'pat.py');
  writeFileSync(scriptPath, fillPlaceholders(script, {
    '<your-personal-access-token>': pat,
    [INSTANCE]: server.url,
    '<your-endpoint>': `v1/processes/${processId}`,
  }));
  const read = await run(PYTHON, [scriptPath]);
  assert.equal(read.code, 0, read.stderr);
  // Python prints the dict with single quotes.
  assert.match(read.stdout, new RegExp(`'id': '${processId}'`), read.stdout);
  assert.match(read.stdout, /'name': 'Month-end close'/, read.stdout);

  // f. Revoked in the page: the script prints the 401 error, and so does a direct call.
  await page.getByRole('link', { name: `Revoke ${TOKEN_NAME}…` }).click();
  await page.getByRole('heading', { name: `Revoke “${TOKEN_NAME}”?` }).waitFor();
  await page.getByRole('button', { name: `Revoke “${TOKEN_NAME}”` }).click();
  await page.getByText(`Revoked “${TOKEN_NAME}”`).waitFor();
  assert.equal(await page.getByRole('row', { name: new RegExp(TOKEN_NAME) }).getByText('Revoked', { exact: true }).count(), 1);
  const apiUrl = `${server.url}/api/v1/processes/${processId}`;
  const refusedPat = await within(2000, async () => (await fetch(apiUrl, { headers: { authorization: `Bearer ${pat}` } })).status === 401);
  assert.notEqual(refusedPat, null, 'the revoked PAT gets 401 within 2 s');
  const readAgain = await run(PYTHON, [scriptPath]);
  assert.equal(readAgain.code, 0, readAgain.stderr);
  assert.match(readAgain.stdout, /'error': 'invalid_token'/, readAgain.stdout);
  assert.doesNotMatch(readAgain.stdout, new RegExp(`'id': '${processId}'`));

  // g. The code flow in the same browser, then Revoke on the Authorized apps page.
  const authorize = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callback.url, scope: 'process_read', state: 'xyz' });
  await page.goto(`${server.url}/oauth/authorize?${authorize}`);
  await page.getByRole('heading', { name: `Authorize ${APP_NAME}` }).waitFor();
  const arrived = callback.next();
  await page.getByRole('button', { name: 'Approve' }).click();
  const redirect = await arrived;
  assert.equal(redirect.searchParams.get('state'), 'xyz');
  const code = redirect.searchParams.get('code');
  assert.ok(code, redirect.href);
  const exchanged = await tokenRequest(server, {
    grant_type: 'authorization_code', code, redirect_uri: callback.url, client_id: clientId, client_secret: thirdSecret,
  });
  assert.equal(exchanged.status, 200, exchanged.text);
  const accessToken = exchanged.body.access_token as string;
  const refreshToken = exchanged.body.refresh_token as string;
  assert.ok(accessToken && refreshToken, exchanged.text);
  const bearer = { headers: { authorization: `Bearer ${accessToken}` } };
  assert.equal((await fetchJson(apiUrl, bearer)).status, 200);

  await page.goto(`${server.url}/apps`);
  await portalNav.getByRole('link', { name: 'Authorized apps' }).click();
  await page.getByRole('heading', { name: 'Authorized applications' }).waitFor();
  assert.equal(await page.getByRole('row', { name: new RegExp(APP_NAME) }).count(), 1, 'the app is listed');
  await page.getByRole('link', { name: `Revoke access for ${APP_NAME}…` }).click();
  await page.getByRole('button', { name: 'Revoke access' }).click();
  await page.getByText(`${APP_NAME} no longer has access to your account.`).waitFor();
  await page.getByText('No application has access to your account.').waitFor();

  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, client_secret: thirdSecret });
  assert.equal(refreshed.status, 400, refreshed.text);
  assert.equal(refreshed.body.error, 'invalid_grant');
  const refusedAccess = await within(2000, async () => (await fetch(apiUrl, bearer)).status === 401);
  assert.notEqual(refusedAccess, null, 'the access token gets 401 within 2 s of the revocation');

  // h. A new member: the admin creates them, then gives them a one-time reset link to choose their own password.
  await portalNav.getByRole('link', { name: 'Users' }).click();
  await page.getByLabel('Email').fill(MEMBER);
  await page.getByLabel('Initial password').fill('a temporary password');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByText(`Created ${MEMBER}. They can sign in now.`).waitFor();
  await page.getByRole('button', { name: `Reset password of ${MEMBER}` }).click();
  const resetLink = await page.getByRole('textbox', { name: 'Reset link' }).inputValue();
  assert.match(resetLink, new RegExp(`^${server.url}/reset-password\\?token=`));
  await page.reload();
  assert.equal(await page.getByRole('textbox', { name: 'Reset link' }).count(), 0, 'the link is shown once');

  const memberContext = await browser.newContext();
  const memberPage = await memberContext.newPage();
  memberPage.setDefaultTimeout(10_000);
  await memberPage.goto(resetLink);
  await memberPage.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await memberPage.getByLabel('New password', { exact: true }).fill('password123');
  await memberPage.getByLabel('Confirm the new password').fill('password123');
  await memberPage.getByRole('button', { name: 'Set password' }).click();
  await memberPage.getByText(/one of the most common passwords/).waitFor();
  await memberPage.getByLabel('New password', { exact: true }).fill(MEMBER_PASSWORD);
  await memberPage.getByLabel('Confirm the new password').fill(MEMBER_PASSWORD);
  await memberPage.getByRole('button', { name: 'Set password' }).click();
  await memberPage.getByText('Your password was changed. Sign in with the new one.').waitFor();
  await memberPage.getByLabel('Email').fill(MEMBER);
  await memberPage.getByLabel('Password').fill(MEMBER_PASSWORD);
  await memberPage.getByRole('button', { name: 'Sign in' }).click();
  await memberPage.waitForURL((url) => url.pathname === '/apps');
  assert.equal((await fetch(resetLink)).status, 404, 'the link worked once');

  // i. The member changes their password on their account page; their other session ends, and they are told.
  const otherContext = await browser.newContext();
  const otherPage = await otherContext.newPage();
  await otherPage.goto(`${server.url}/login`);
  await otherPage.getByLabel('Email').fill(MEMBER);
  await otherPage.getByLabel('Password').fill(MEMBER_PASSWORD);
  await otherPage.getByRole('button', { name: 'Sign in' }).click();
  await otherPage.waitForURL((url) => url.pathname === '/apps');
  await memberPage.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: MEMBER }).click();
  await memberPage.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.equal(await memberPage.getByRole('row').filter({ hasText: 'This session' }).count(), 1);
  await memberPage.getByLabel('Current password').fill(MEMBER_PASSWORD);
  await memberPage.getByLabel('New password', { exact: true }).fill('my second own password');
  await memberPage.getByLabel('Confirm the new password').fill('my second own password');
  await memberPage.getByRole('button', { name: 'Change password' }).click();
  await memberPage.getByText('Your password was changed. You were signed out of 1 other session.').waitFor();
  await otherPage.reload();
  await otherPage.waitForURL((url) => url.pathname === '/login');
  await memberContext.close();
  await otherContext.close();

  // j. At 390 px the tables keep their actions on screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/admin/users`);
  await assertOnScreen(page, page.getByRole('button', { name: `Disable ${MEMBER}` }), 'Disable on the Users page');
  await assertOnScreen(page, page.getByRole('button', { name: `Reset password of ${MEMBER}` }), 'Reset password on the Users page');
  await page.goto(`${server.url}/tokens`);
  await page.getByLabel('Name', { exact: true }).fill('phone token');
  await page.getByRole('checkbox', { name: /^process_read\b/ }).check();
  await page.getByRole('button', { name: 'Generate token' }).click();
  await page.goto(`${server.url}/tokens`);
  await assertOnScreen(page, page.getByRole('link', { name: 'Revoke phone token…' }), 'Revoke on the Tokens page');
});
