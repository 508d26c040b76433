// Outbound requests may not reach the server's own network (issue #10,
// acceptance 6): every address below is refused by default, as an http step
// and by the outbound client itself, checked on the address connected to and
// on every redirect hop. An operator's allowlist opens exactly what it names.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createTestUser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import { apiClient, waitForRun, type Api } from './support/api.ts';
import { startTarget, TARGET_ALLOW, TARGET_HOST, type Target } from './support/target.ts';
import { OutboundHttp, OutboundPolicy, OutboundRefused } from '../src/net/outbound.ts';

let t: TestApp;
let api: Api;
let target: Target;
let loopback: Server;
let loopbackPort: number;

before(async () => {
  target = await startTarget();
  // A server on 127.0.0.1, which nothing may reach: if a request gets here, the guard failed.
  loopback = createServer((_request, response) => response.end('reached'));
  await new Promise<void>((resolve) => loopback.listen(0, '127.0.0.1', resolve));
  loopbackPort = (loopback.address() as { port: number }).port;
  t = await startApp(TARGET_ALLOW);
  const user = await createTestUser(t, { label: 'ssrf' });
  api = apiClient(t, (await t.services.pats.create(user.id, { name: 'x', scopes: ['process'], expiresInDays: 1 }, SYSTEM)).token);
});
after(async () => {
  await t?.close();
  await target?.close();
  await new Promise((resolve) => loopback?.close(resolve));
});

const REFUSED = () => [
  `http://127.0.0.1:${loopbackPort}/`,
  `http://[::1]:${loopbackPort}/`,
  `http://0.0.0.0:${loopbackPort}/`,
  'http://169.254.169.254/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/latest/meta-data/',
  'http://[::ffff:127.0.0.1]/',
  'http://10.0.0.1/',
  'http://172.16.5.4/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://[fd00::1]/',
  'http://[fe80::1]/',
  `http://0177.0.0.1:${loopbackPort}/`,
  `http://0x7f.0.0.1:${loopbackPort}/`,
  `http://0x7f000001:${loopbackPort}/`,
  `http://2130706433:${loopbackPort}/`,
  `http://127.1:${loopbackPort}/`,
  `http://localhost:${loopbackPort}/`,
];

test('the outbound client refuses loopback, private, link-local, metadata and reserved addresses in every spelling, and names that resolve to them', async () => {
  const http = new OutboundHttp(new OutboundPolicy());
  try {
    for (const url of REFUSED()) {
      await assert.rejects(http.request({ method: 'GET', url, timeoutMs: 3000, maxBodyBytes: 100 }), OutboundRefused, url);
    }
    for (const url of ['file:///etc/passwd', 'ftp://example.com/', 'gopher://example.com/', 'data:text/plain,x', 'javascript:alert(1)', 'ws://example.com/']) {
      await assert.rejects(http.request({ method: 'GET', url, timeoutMs: 3000, maxBodyBytes: 100 }), OutboundRefused, url);
    }
    assert.throws(() => http.check('http://user:pass@example.com/'), OutboundRefused, 'credentials in URLs');
  } finally {
    await http.close();
  }
});

test('a redirect from an allowed host to a refused one is refused at the hop', async () => {
  const path = `/redirect/${Date.now()}`;
  target.on(path, (_request, _count, response) => {
    response.writeHead(302, { location: `http://127.0.0.1:${loopbackPort}/inside` });
    response.end();
  });
  const http = new OutboundHttp(new OutboundPolicy([TARGET_HOST]));
  try {
    await assert.rejects(http.request({ method: 'GET', url: `${target.url}${path}`, timeoutMs: 3000, maxBodyBytes: 100 }), /127\.0\.0\.1 is a private or reserved address/);
    const fine = await http.request({ method: 'GET', url: `${target.url}/plain`, timeoutMs: 3000, maxBodyBytes: 100 });
    assert.equal(fine.status, 200, 'the allowlisted address is reached');
  } finally {
    await http.close();
  }
});

test('the policy: allowlisted ranges open, the rest of the private space stays shut; IPv4 written as IPv6 is checked as IPv4', () => {
  const policy = new OutboundPolicy(['10.1.2.0/24', '127.0.0.2']);
  for (const address of ['10.1.2.3', '127.0.0.2', '93.184.216.34', '2606:4700::1111', '::ffff:10.1.2.9']) assert.ok(policy.permits(address), address);
  for (const address of ['10.1.3.1', '127.0.0.1', '169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:127.0.0.1', '::1', '0.0.0.0', 'fe80::1', 'not an ip', '64:ff9b::7f00:1']) assert.equal(policy.permits(address), false, address);
});

test('as http steps, each refused address fails its step with "refused", and nothing reaches the loopback server', async () => {
  let reached = 0;
  loopback.on('request', () => reached++);
  for (const url of REFUSED()) {
    const process = (await api('POST', '/api/v1/processes', { name: 'SSRF' })).body;
    const step = await api('POST', `/api/v1/processes/${process.id}/steps`, { name: 'Fetch', kind: 'http', config: { method: 'GET', url } });
    assert.equal(step.status, 201, `${url}: ${JSON.stringify(step.body)}`);
    const run = (await api('POST', `/api/v1/processes/${process.id}/processruns`, { start: true })).body;
    await waitForRun(api, run.id, ['Failed']);
    const [result] = (await api('GET', `/api/v1/processruns/${run.id}/steps`)).body.data;
    assert.match(result.completionMessage, /^refused: /, `${url}: ${result.completionMessage}`);
  }
  // A template can build a URL at run time; it is checked the same.
  const process = (await api('POST', '/api/v1/processes', { name: 'SSRF template' })).body;
  await api('POST', `/api/v1/processes/${process.id}/steps`, { name: 'Fetch', kind: 'http', config: { method: 'GET', url: 'http://{{host}}/' } });
  const run = (await api('POST', `/api/v1/processes/${process.id}/processruns`, { start: true, data: { host: `127.0.0.1:${loopbackPort}` } })).body;
  await waitForRun(api, run.id, ['Failed']);
  assert.equal(reached, 0);
  // Other schemes are refused when the step is made.
  for (const url of ['file:///etc/passwd', 'gopher://example.com/']) {
    const refused = await api('POST', `/api/v1/processes/${process.id}/steps`, { name: 'No', kind: 'http', config: { method: 'GET', url } });
    assert.equal(refused.status, 422, url);
  }
});
