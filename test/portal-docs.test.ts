// The API page (/docs): this server's issuer, endpoints and scopes, and
// snippets that run as shown once their placeholders are filled in. Values
// are quoted for the snippet's language, then HTML-escaped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type TestServer, type RunResult } from './support/server.ts';
import { createClient, createProcess, createUser } from './support/fixtures.ts';
import { fetchJson } from './support/http.ts';
import { CookieBrowser, signIn, type PageResponse } from './support/browser-http.ts';
import { assertSafePage, innerHtmlById, unescapeHtml } from './support/pages.ts';
import { SCOPES } from '../src/scopes.ts';

const PYTHON = '/usr/bin/python3';
const ODD_ISSUER = "https://gate.example/o'brien&co/<x>";

let server: TestServer;
let user: { email: string; password: string };
let docs: PageResponse;

before(async () => {
  server = await startServer();
  user = await createUser(server);
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  docs = await browser.get('/docs');
});
after(() => server?.stop());

/** Runs a program without input (the harness's run() can hit EPIPE when a program exits at once). */
function run(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The text of a snippet, as a browser shows it (and as the copy button copies it). */
const snippet = (html: string, id: string) => unescapeHtml(innerHtmlById(html, id));

async function runScript(name: string, code: string, interpreter: string) {
  const path = join(server.dataDir, name);
  writeFileSync(path, code);
  return run(interpreter, [path]);
}

test('the page needs sign-in', async () => {
  const response = await new CookieBrowser(server.url).get('/docs');
  assert.equal(response.status, 303);
  assert.equal(response.location?.pathname, '/login');
});

test("the page shows this server's issuer and every endpoint of its metadata, and the scopes", async () => {
  assert.equal(docs.status, 200, docs.text);
  assertSafePage(docs);
  const metadata = (await fetchJson<Record<string, unknown>>(`${server.url}/.well-known/oauth-authorization-server`)).body;
  assert.equal(metadata.issuer, server.url);
  assert.equal(unescapeHtml(innerHtmlById(docs.text, 'issuer')), server.url);
  const shown = unescapeHtml(docs.text);
  for (const [key, value] of Object.entries(metadata)) {
    if (key.endsWith('_endpoint') || key === 'jwks_uri') assert.ok(shown.includes(`<code>${value as string}</code>`), `${key}: ${value as string}`);
  }
  assert.ok(shown.includes(`<code>${server.url}/.well-known/oauth-authorization-server</code>`));
  // The REST API's endpoints are in the reference generated from the OpenAPI document (test/openapi.test.ts).
  assert.ok(shown.includes(`<code>${server.url}/api/v1/openapi.json</code>`));
  assert.match(docs.text, /href="\/docs\/api">API reference<\/a>/);
  for (const [scope, description] of Object.entries(SCOPES)) {
    assert.ok(shown.includes(`<dt><code>${scope}</code></dt><dd>${description}</dd>`), scope);
  }
  // Each snippet has a copy button, shown by the external script.
  for (const id of ['example-client-credentials', 'example-pat', 'example-curl']) {
    assert.match(docs.text, new RegExp(`<button type="button"[^>]*data-copy="${id}"`), id);
  }
  assert.match(docs.text, /<script src="\/assets\/copy\.js" defer><\/script>/);
});

test('the client-credentials Python snippet reads a process once its placeholders are filled in', async () => {
  const code = snippet(docs.text, 'example-client-credentials');
  assert.ok(code.includes(`"${server.url}/oauth/token"`), code);
  assert.ok(!code.includes('solvexia'), 'no URL of the guide');
  const { email } = await createUser(server);
  const client = await createClient(server, email);
  const process = await createProcess(server, email, 'Quarter close');
  const filled = code.replace('"your_client_id"', JSON.stringify(client.client_id))
    .replace('"your_client_secret"', JSON.stringify(client.client_secret))
    .replace('"your_process_id"', JSON.stringify(process.id));
  assert.notEqual(filled, code);
  const result = await runScript('cc.py', filled, PYTHON);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`'id': '${process.id}'`));
  assert.match(result.stdout, /'name': 'Quarter close'/);

  // The error branch prints the server's message (the guide's script would crash there).
  const wrong = await runScript('cc-wrong.py', code.replace('"your_process_id"', JSON.stringify(process.id)), PYTHON);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /Could not get an access token: /);
});

test('the personal-access-token Python snippet calls the API with the token as Bearer', async () => {
  const code = snippet(docs.text, 'example-pat');
  assert.ok(code.includes(`"${server.url}/api/v1"`), code);
  assert.match(code, /"Authorization": "Bearer your_personal_access_token"/);
  const process = await createProcess(server, user.email, 'Read by a PAT');
  const pat = await server.cliJson<{ token: string }>('tokens', 'create', '--user', user.email, '--name', 'docs', '--scope', 'process_read');
  const result = await runScript('pat.py', code.replace('your_personal_access_token', pat.token).replace('your_process_id', process.id), PYTHON);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^200 /);
  assert.match(result.stdout, new RegExp(`'id': '${process.id}'`));
});

test('the curl snippet gets a token and reads a process', async () => {
  const code = snippet(docs.text, 'example-curl');
  const { email } = await createUser(server);
  const client = await createClient(server, email);
  const process = await createProcess(server, email);
  const token = await fetchJson<{ access_token: string }>(`${server.url}/oauth/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! }),
  });
  const filled = code.replace('your_client_id', client.client_id).replace('your_client_secret', client.client_secret!)
    .replace('your_process_id', process.id).replace('your_access_token', token.body.access_token);
  const result = await runScript('calls.sh', filled, '/bin/sh');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /"access_token":"/);
  assert.match(result.stdout, new RegExp(`"id":"${process.id}"`));
});

test('an issuer with quotes, & and <> is escaped for HTML, and quoted for Python and the shell', async (t) => {
  const odd = await startServer({ env: { GATEHOUSE_ISSUER: ODD_ISSUER } });
  t.after(() => odd.stop());
  const issuer = new URL(ODD_ISSUER).href; // what the server makes of it: <> percent-encoded, ' and & kept
  assert.ok(issuer.includes("o'brien&co"));
  const someone = await createUser(odd);
  const browser = new CookieBrowser(odd.url);
  await signIn(browser, someone.email, someone.password);
  const page = await browser.get('/docs');
  assert.equal(page.status, 200, page.text);
  assertSafePage(page);
  assert.ok(page.text.includes('o&#39;brien&amp;co'), 'escaped in the HTML');
  assert.ok(!page.text.includes("o'brien&co"), 'never raw in the HTML');
  assert.equal(unescapeHtml(innerHtmlById(page.text, 'issuer')), issuer);

  // Python: the literals evaluate to the server's URLs.
  const python = snippet(page.text, 'example-client-credentials');
  const constants = python.split('\n').filter((line) => /^(TOKEN_URL|API_URL) = /.test(line)).join('\n');
  const evaluated = await run(PYTHON, ['-c', `${constants}\nprint(TOKEN_URL)\nprint(API_URL)`]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.equal(evaluated.stdout, `${issuer}/oauth/token\n${issuer}/api/v1\n`);

  // Shell: with curl replaced by a function that prints its arguments, the URLs arrive intact.
  const shell = snippet(page.text, 'example-curl');
  const printed = await run('/bin/sh', ['-c', `curl() { printf '%s\\n' "$@"; }\n${shell}`]);
  assert.equal(printed.code, 0, printed.stderr);
  const args = printed.stdout.split('\n');
  assert.ok(args.includes(`${issuer}/oauth/token`), printed.stdout);
  assert.ok(args.includes(`${issuer}/api/v1/processes/your_process_id`), printed.stdout);
  assert.ok(args.includes('Authorization: Bearer your_access_token'), printed.stdout);
});
