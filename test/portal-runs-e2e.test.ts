// The run page in real Chromium (issue #10, acceptance 9): a user starts a
// run from its process's page, watches it reach Waiting, approves it, and
// sees it Finished, each change arriving over the live stream without a
// reload. axe-core checks the process, run and webhook pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.ts';
import { launchChromium } from './support/chromium.ts';
import { createUser } from './support/fixtures.ts';
import { remoteApi } from './support/api.ts';
import { describeViolations, seriousViolations } from './support/axe.ts';

test('start a run in the portal, watch it reach Waiting, approve, see Finished without reloading', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const user = await createUser(server);
  const token = (await server.cliJson<{ token: string }>('tokens', 'create', '--user', user.email, '--name', 'setup', '--scope', 'process')).token;
  const api = remoteApi(server.url, token);
  const process = (await api('POST', '/api/v1/processes', { name: 'Month-end close' })).body;
  for (const step of [
    { name: 'Settle', kind: 'delay', config: { seconds: 1 } },
    { name: 'Sign-off', kind: 'approval', config: { message: 'Check the ledger' } },
    { name: 'Close the books', kind: 'delay', config: { seconds: 1 } },
    { name: 'Total', kind: 'transform', config: { expression: 'amount * 2', resultKey: 'total' } },
  ]) assert.equal((await api('POST', `/api/v1/processes/${process.id}/steps`, step)).status, 201);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ bypassCSP: false });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/apps');

  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Processes' }).click();
  await page.getByRole('link', { name: 'Month-end close' }).click();
  await page.getByRole('heading', { name: 'Month-end close', level: 1 }).waitFor();
  await page.getByLabel('Data (a JSON object)').fill('{"amount": 21}');
  await page.getByRole('button', { name: 'Run now' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/processruns/'));

  // From here, count navigations: the page must change only by the live stream.
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  const approve = page.getByRole('button', { name: 'Approve' });
  await approve.waitFor();
  assert.equal(navigations, 0, 'Waiting arrived without a reload');
  assert.ok(await page.locator('.step-message', { hasText: 'Check the ledger' }).isVisible());
  await page.getByLabel('Comment (optional)').fill('Ledger checked');
  await approve.click();
  await page.getByText('Approved.').waitFor();
  const afterApproval = navigations;
  await page.locator('.run-status .status-finished').waitFor();
  assert.equal(navigations, afterApproval, 'Finished arrived without a reload');
  assert.match(await page.locator('pre.code').textContent() ?? '', /"total": 42/);
  assert.equal(await page.getByRole('button', { name: 'Cancel run' }).count(), 0, 'a finished run offers no cancel');
  assert.ok(await page.getByRole('button', { name: 'Restart from here: Sign-off' }).isVisible());

  // axe on the process, run and webhook pages.
  const axeContext = await browser.newContext({ bypassCSP: true, storageState: await context.storageState() });
  const axePage = await axeContext.newPage();
  const runUrl = page.url();
  const failures: string[] = [];
  for (const url of [`${server.url}/processes/${process.id}`, runUrl, `${server.url}/webhooks`, `${server.url}/processes/${process.id}/steps/${(await api('GET', `/api/v1/processes/${process.id}/steps`)).body.data[0].id}`]) {
    await axePage.goto(url);
    for (const width of [1280, 390]) {
      await axePage.setViewportSize({ width, height: 900 });
      const violations = await seriousViolations(axePage);
      if (violations.length > 0) failures.push(describeViolations(`${url} at ${width}px`, violations));
    }
  }
  assert.equal(failures.join('\n'), '', 'no serious or critical violations');
});
