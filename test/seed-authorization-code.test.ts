// Acceptance: the second seed guide's Authorization Code script, read from the
// guide at run time and changed only in its placeholders, run by Debian's
// python3 with oauthlib. A real Chromium signs in and approves in between.
//
// One line of the guide is wrong whatever the server does: it unpacks
// `prepare_request_uri()` into two names, but oauthlib returns one string, so
// the script as printed stops with "too many values to unpack" before it
// reaches any server. The test shows that, then corrects that line only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startServer } from './support/server.ts';
import { createClient, createProcess, createUser } from './support/fixtures.ts';
import { apiRequest } from './support/http.ts';
import { launchChromium, startCallbackServer } from './support/chromium.ts';
import { PROCESSMAKER_GUIDE, PYTHON, pythonBlocks, readGuide } from './support/seeds.ts';

const PYTHON_ENV = { OAUTHLIB_INSECURE_TRANSPORT: '1' };
const GUIDE_BUG = 'auth_url, _ = client.prepare_request_uri(';
const CORRECTED = 'auth_url = client.prepare_request_uri(';


/** Resolves with the first match of `pattern` in what `read()` returns, polling as output arrives. */
function waitFor(read: () => string, pattern: RegExp, timeoutMs: number, onData: (listener: () => void) => void): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${read()}`)), timeoutMs);
    const check = () => {
      const match = pattern.exec(read());
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    onData(check);
    check();
  });
}

test('the ProcessMaker authorization-code script gets a token that reads a process', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const callback = await startCallbackServer();
  t.after(() => callback.close());
  const developer = await createUser(server);
  const user = await createUser(server);
  const client = await createClient(server, developer.email, '--name', 'Reporting script', '--redirect-uri', callback.url);
  const process = await createProcess(server, user.email, 'Purchase requests');

  const script = pythonBlocks(readGuide(PROCESSMAKER_GUIDE))[0] ?? '';
  assert.ok(script.includes('WebApplicationClient'), 'the first Python block is the Authorization Code script');
  const filled = script
    .replaceAll('https://<your-instance>.processmaker.net', server.url)
    .replaceAll('<your-client-id>', client.client_id)
    .replaceAll('<your-client-secret>', client.client_secret!)
    .replaceAll('<your-redirect-uri>', callback.url)
    .replaceAll('<your-scope>', 'process_read');
  assert.doesNotMatch(filled, /<your-/, 'every placeholder is filled');
  assert.equal(filled.split('\n').length, script.split('\n').length, 'only placeholders change');
  const path = join(server.dataDir, 'authorization_code.py');
  writeFileSync(path, filled);
  // As printed: it fails inside oauthlib, before any request.
  const asPrinted = await run(PYTHON, [path], { env: PYTHON_ENV });
  assert.notEqual(asPrinted.code, 0);
  assert.match(asPrinted.stderr, /auth_url, _ = client\.prepare_request_uri\([\s\S]*ValueError: too many values to unpack/, asPrinted.stderr);

  assert.equal(filled.split(GUIDE_BUG).length, 2, 'the guide still has the faulty line, once');
  writeFileSync(path, filled.replace(GUIDE_BUG, CORRECTED));

  // oauthlib refuses http URLs unless told otherwise; the test server has no TLS.
  const python = spawn(PYTHON, [path], { env: { ...globalThis.process.env, ...PYTHON_ENV }, stdio: 'pipe' });
  t.after(() => {
    if (python.exitCode === null) python.kill();
  });
  let stdout = '';
  let stderr = '';
  python.stdout.on('data', (chunk) => (stdout += chunk));
  python.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => python.once('close', resolve));
  const onOutput = (listener: () => void) => python.stdout.on('data', listener);

  const [, authUrl] = await waitFor(() => stdout + stderr, /authorize the app: (\S+)\n/, 15_000, onOutput);
  assert.ok(authUrl!.startsWith(`${server.url}/oauth/authorize?`), authUrl);
  await waitFor(() => stdout, /Enter the authorization code: /, 15_000, onOutput);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(authUrl!);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((url) => url.pathname === '/oauth/authorize'), page.click('button[type=submit]')]);
  assert.match(await page.locator('h1').innerText(), /Authorize Reporting script/);
  assert.ok((await page.content()).includes(developer.email), 'the consent page names who made the application');
  const arrived = callback.next();
  await page.click('button[value=approve]');
  const redirect = await arrived;
  assert.equal(redirect.searchParams.get('iss'), server.url);
  const code = redirect.searchParams.get('code');
  assert.ok(code, redirect.href);

  python.stdin.end(`${code}\n`);
  assert.equal(await exited, 0, stderr);
  const token = /Access token: (\S+)/.exec(stdout)?.[1];
  assert.ok(token && token !== 'None', stdout);
  const response = await apiRequest(server, `/api/v1/processes/${process.id}`, token);
  assert.equal(response.status, 200, response.text);
  assert.equal(response.body.name, 'Purchase requests');
});
