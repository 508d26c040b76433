// Writes the README's screenshots to docs/screenshots/ (npm run docs:screenshots).
// It starts a throwaway server on a temp SQLite database, makes sample data
// with the operator CLI and the pages, and photographs the portal in Debian's
// Chromium at 1280×800 (and the applications list at phone width, 390×844).
// Every secret on the pictures is real but belongs to that throwaway server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { freePort } from './free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../test/support/chromium.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs/screenshots');
const CLI = join(ROOT, 'bin/gatehouse.js');
/** The pictures show the default address; the server itself listens on a free port. */
const SHOWN_ISSUER = 'http://localhost:3000';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const MAX_BYTES = 200 * 1024;

const ADMIN = { email: 'ada@example.com', password: 'correct horse battery staple' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

function runCli(env: Record<string, string>, ...args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--json'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as Record<string, unknown>) : reject(new Error(`gatehouse ${args.join(' ')}: ${stderr}`))));
  });
}

async function waitUntilUp(base: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`${base}/.well-known/oauth-authorization-server`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not start in 20 s:\n${log()}`);
}

const written: string[] = [];

async function shoot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  // Filling a form scrolls it; the picture shows the top of the page.
  await page.evaluate('window.scrollTo(0, 0)');
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  const size = statSync(path).size;
  if (size > MAX_BYTES) throw new Error(`${name}.png is ${Math.round(size / 1024)} KB, more than ${MAX_BYTES / 1024} KB`);
  written.push(`${name}.png (${Math.round(size / 1024)} KB)`);
}

async function signIn(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/apps');
}

/**
 * The sample apps' callback URLs do not exist: an approval is sent to the
 * server as usual, and its redirect to the app is answered inside the browser.
 */
async function stopAtCallback(context: BrowserContext, base: string): Promise<void> {
  await context.route(`${base}/oauth/authorize`, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch({ maxRedirects: 0 });
    await route.fulfill({ status: 200, contentType: 'text/plain', body: `Sent back to ${response.headers().location ?? '(nowhere)'}` });
  });
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-screenshots-'));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const env = {
    PORT: String(port),
    DATABASE_URL: `sqlite:${join(dataDir, 'gatehouse.db')}`,
    LOG_LEVEL: 'warn',
    GATEHOUSE_ISSUER: SHOWN_ISSUER,
  };
  const server = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe' });
  let log = '';
  server.stdout.on('data', (chunk) => (log += chunk));
  server.stderr.on('data', (chunk) => (log += chunk));
  let browser: Browser | undefined;
  try {
    await waitUntilUp(base, server, () => log);
    browser = await launchChromium();

    // People and applications made by an operator with the CLI.
    await runCli(env, 'users', 'create', '--email', ADMIN.email, '--password', ADMIN.password, '--admin');
    await runCli(env, 'users', 'create', '--email', 'grace@example.com', '--password', 'another long password');
    await runCli(env, 'users', 'create', '--email', 'linus@example.com', '--password', 'yet another password');
    await runCli(env, 'clients', 'create', '--owner', ADMIN.email, '--name', 'Billing sync', '--grant', 'client_credentials', '--scope', 'process');
    const dashboard = await runCli(env, 'clients', 'create', '--owner', ADMIN.email, '--name', 'Ops dashboard',
      '--redirect-uri', 'https://ops.example.com/oauth/callback', '--grant', 'authorization_code', '--grant', 'refresh_token');
    const cliTool = await runCli(env, 'clients', 'create', '--owner', ADMIN.email, '--name', 'gh-process CLI', '--public',
      '--grant', DEVICE_GRANT, '--grant', 'refresh_token', '--scope', 'process_read');

    const context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1, locale: 'en-US' });
    await stopAtCallback(context, base);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);

    await page.goto(`${base}/login`);
    await shoot(page, 'sign-in');
    await signIn(page, base);

    // A new application through the form; its secret is shown once.
    await page.goto(`${base}/apps/new`);
    await page.getByLabel('Application name').fill('Month-end reporter');
    await page.getByLabel('Callback URLs').fill('https://reports.example.com/oauth/callback\nhttp://127.0.0.1:8400/callback');
    await shoot(page, 'new-application');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByText('Month-end reporter was created.').waitFor();
    await shoot(page, 'application-created');
    const reporterId = await page.getByLabel('Client ID', { exact: true }).inputValue();
    await page.reload();
    await shoot(page, 'application');

    await page.goto(`${base}/apps`);
    await shoot(page, 'applications');
    const phone = await context.newPage();
    await phone.setViewportSize(PHONE);
    await phone.goto(`${base}/apps`);
    await shoot(phone, 'applications-phone');
    await phone.close();

    // Personal access tokens: one revoked, one used, one just made.
    const makeToken = async (name: string, scope: RegExp, expiry: string) => {
      await page.goto(`${base}/tokens`);
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByRole('checkbox', { name: scope }).check();
      await page.getByLabel('Expiration').selectOption({ label: expiry });
      await page.getByRole('button', { name: 'Generate token' }).click();
      return page.getByLabel('Token', { exact: true }).inputValue();
    };
    await makeToken('Old laptop', /^process\b(?!_)/, '90 days');
    await page.getByRole('link', { name: 'Revoke Old laptop…' }).click();
    await page.getByRole('button', { name: 'Revoke “Old laptop”' }).click();
    await page.getByText('Revoked “Old laptop”').waitFor();
    const reporting = await makeToken('Reporting script', /^process_read\b/, '1 year');
    await fetch(`${base}/api/v1/processes`, { headers: { authorization: `Bearer ${reporting}` } });
    await makeToken('Nightly export', /^process_read\b/, '30 days');
    await shoot(page, 'tokens');

    // Consent for two apps, then the list of authorized apps.
    const authorize = (clientId: string, redirectUri: string) =>
      `${base}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'process_read', state: 'screenshots' })}`;
    await page.goto(authorize(dashboard.client_id as string, 'https://ops.example.com/oauth/callback'));
    await page.getByRole('heading', { name: 'Authorize Ops dashboard' }).waitFor();
    await shoot(page, 'consent');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Sent back to https://ops.example.com/').waitFor();
    await page.goto(authorize(reporterId, 'https://reports.example.com/oauth/callback'));
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Sent back to https://reports.example.com/').waitFor();
    await page.goto(`${base}/account/authorized-apps`);
    await shoot(page, 'authorized-apps');

    // A device waiting for its code to be entered.
    const started = await fetch(`${base}/oauth/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: cliTool.client_id as string }) });
    const { user_code: userCode } = (await started.json()) as { user_code: string };
    await page.goto(`${base}/device?user_code=${encodeURIComponent(userCode)}`);
    await shoot(page, 'device');

    // Admin: one user disabled.
    await page.goto(`${base}/admin/users`);
    await page.getByRole('button', { name: 'Disable linus@example.com' }).click();
    await page.getByText('Disabled linus@example.com').waitFor();
    await shoot(page, 'admin-users');

    await page.getByRole('button', { name: 'Reset password of grace@example.com' }).click();
    await page.getByRole('heading', { name: 'Password-reset link for grace@example.com' }).waitFor();
    await shoot(page, 'admin-reset-link');

    // Processes, the account page, and tokens at phone width.
    await runCli(env, 'processes', 'create', '--owner', ADMIN.email, '--name', 'Month-end close', '--description', 'Reconciles the ledger and posts accruals');
    await runCli(env, 'processes', 'create', '--owner', ADMIN.email, '--name', 'Nightly import', '--description', 'Loads yesterday’s bank statements');
    await page.goto(`${base}/processes`);
    await shoot(page, 'processes');
    await page.goto(`${base}/account`);
    await shoot(page, 'account');
    const phoneTokens = await context.newPage();
    await phoneTokens.setViewportSize(PHONE);
    await phoneTokens.goto(`${base}/tokens`);
    await shoot(phoneTokens, 'tokens-phone');
    await phoneTokens.close();

    await page.goto(`${base}/docs`);
    await shoot(page, 'api');

    await context.close();
    process.stdout.write(`Wrote ${written.length} screenshots to docs/screenshots/:\n${written.map((w) => `  ${w}`).join('\n')}\n`);
  } finally {
    await browser?.close();
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
