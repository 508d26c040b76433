// X-Forwarded-For is believed only from configured proxies (RFC 9700 §4.13):
// otherwise a client could choose the address that sign-in throttling counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/server.ts';
import { loadConfig, ConfigError } from '../src/config.ts';

/** The `ip` logged for the last request to `path`. */
function loggedIp(log: string, path: string): string | undefined {
  const lines = log.split('\n').filter((l) => l.includes(`"path":"${path}"`));
  return lines.length ? (JSON.parse(lines.at(-1)!) as { req: { ip: string } }).req.ip : undefined;
}

async function ipSeenBy(env: Record<string, string>): Promise<string | undefined> {
  const server = await startServer({ env });
  try {
    await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    await new Promise((r) => setTimeout(r, 200));
    return loggedIp(server.log(), '/healthz');
  } finally {
    await server.stop();
  }
}

test('without GATEHOUSE_TRUST_PROXY a forwarded address is ignored', async () => {
  assert.equal(await ipSeenBy({}), '127.0.0.1');
});

test('from a configured proxy the forwarded address is the client', async () => {
  assert.equal(await ipSeenBy({ GATEHOUSE_TRUST_PROXY: '127.0.0.1' }), '203.0.113.7');
  // A proxy elsewhere does not make loopback trusted.
  assert.equal(await ipSeenBy({ GATEHOUSE_TRUST_PROXY: '10.0.0.0/8' }), '127.0.0.1');
});

test('a bad proxy list names the variable', () => {
  assert.throws(() => loadConfig({ GATEHOUSE_TRUST_PROXY: 'proxy.example' }), (e: unknown) => e instanceof ConfigError && e.variable === 'GATEHOUSE_TRUST_PROXY');
  assert.throws(() => loadConfig({ GATEHOUSE_TRUST_PROXY: '10.0.0.0/33' }), ConfigError);
  assert.deepEqual(loadConfig({ GATEHOUSE_TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy, ['10.0.0.0/8', '::1']);
});
