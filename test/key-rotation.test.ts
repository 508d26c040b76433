// Signing keys rotate without any client noticing: a new key is in the JWKS
// before it signs, the old one stays until its last token has expired; keys
// can be Ed25519; private keys can be sealed at rest; one node rotates when
// due. Fast tier (in process), on SQLite or PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose';
import { createTestUser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import { OPERATOR } from '../src/client/client-service.ts';
import { loadConfig } from '../src/config.ts';
import { createServices } from '../src/services.ts';
import { freshDatabase } from './support/server.ts';

async function tokenMaker(t: TestApp) {
  const user = await createTestUser(t, { label: 'keys' });
  const workspace = (await t.services.users.personalWorkspaceOf(user.email)).workspaceId;
  const { client, clientSecret: secret } = await t.services.clients.create({ workspaceId: workspace, createdBy: user.id, name: 'Keys', grantTypes: ['client_credentials'], scopes: ['process_read'] }, OPERATOR, SYSTEM);
  const process = await t.services.processes.create(workspace, { name: 'Signed', description: '' }, user.email);
  const token = async () => {
    const response = await t.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret! } });
    assert.equal(response.statusCode, 200, response.body);
    return (response.json() as { access_token: string }).access_token;
  };
  const read = async (accessToken: string) => (await t.inject({ method: 'GET', url: `/api/v1/processes/${process.id}`, headers: { authorization: `Bearer ${accessToken}` } })).statusCode;
  const jwks = async () => (await t.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: JWK[] };
  return { token, read, jwks };
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

test('a rotation publishes the new key at once and signs with it only after the publish delay; the old key verifies until its tokens expire', async (t) => {
  const app = await startApp({ GATEHOUSE_KEY_PUBLISH_SECONDS: '1' });
  t.after(() => app.close());
  const { token, read, jwks } = await tokenMaker(app);
  const before = await token();
  const oldKid = kidOf(before);

  const rotation = await app.services.keys.rotate();
  assert.equal(rotation.previousKid, oldKid);
  assert.deepEqual((await jwks()).keys.map((k) => k.kid).sort(), [oldKid, rotation.kid].sort(), 'both keys are published at once');
  assert.equal(kidOf(await token()), oldKid, 'the new key does not sign yet');
  await sleep(1100);
  const after = await token();
  assert.equal(kidOf(after), rotation.kid, 'after the publish delay, the new key signs');
  assert.equal(await read(before), 200, 'a token of the old key still works');
  assert.equal(await read(after), 200);

  const keys = await app.services.keys.list();
  const old = keys.find((k) => k.kid === oldKid)!;
  assert.equal(keys.find((k) => k.kid === rotation.kid)?.status, 'signing');
  assert.equal(old.status, 'retired');
  const removesAt = Date.parse(old.removesAt!);
  const lastTokenExpires = Date.parse(rotation.activatesAt) + 3600 * 1000;
  assert.ok(removesAt >= lastTokenExpires, 'the old key stays published until its last token has expired');
  assert.deepEqual(app.services.keys.jwks(removesAt + 1).keys.map((k) => k.kid), [rotation.kid], 'then it leaves the JWKS');

});

test('Ed25519 keys (GATEHOUSE_SIGNING_ALG=EdDSA): tokens are EdDSA, verify against the JWKS and on the API; an alg that does not match the key is refused', async (t) => {
  const app = await startApp({ GATEHOUSE_SIGNING_ALG: 'EdDSA' });
  t.after(() => app.close());
  const { token, read, jwks } = await tokenMaker(app);
  const accessToken = await token();
  assert.equal(decodeProtectedHeader(accessToken).alg, 'EdDSA');
  const published = await jwks();
  assert.deepEqual(published.keys.map((k) => [k.kty, k.crv, k.alg]), [['OKP', 'Ed25519', 'EdDSA']]);
  const { payload } = await jwtVerify(accessToken, createLocalJWKSet(published), { issuer: 'http://gatehouse.test', typ: 'at+jwt' });
  assert.equal(payload.scope, 'process_read');
  assert.equal(await read(accessToken), 200);

  // An HS256 token "signed" with the public key as a secret, under the key's kid: refused.
  const [jwk] = published.keys;
  const forged = await new SignJWT({ ...payload, jti: 'forged' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk!.kid })
    .sign(new TextEncoder().encode(JSON.stringify(jwk)));
  assert.equal(await read(forged), 401);
});

test('GATEHOUSE_KEY_ENCRYPTION_KEY seals private keys at rest (plain ones at the next start); without it, sealed keys stop the start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sealed-'));
  const database = await freshDatabase(dir);
  t.after(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { DATABASE_URL: database.url, GATEHOUSE_ISSUER: 'http://gatehouse.test' };
  const key = Buffer.alloc(32, 7).toString('base64');

  const plain = await createServices(loadConfig(env));
  const [stored] = await plain.store.signingKeys.listPublished(new Date().toISOString());
  assert.match(stored!.privateJwk, /"d":/, 'without a key-encryption key, the JWK is stored as it is');
  await plain.close();

  const sealed = await createServices(loadConfig({ ...env, GATEHOUSE_KEY_ENCRYPTION_KEY: key }));
  const [resealed] = await sealed.store.signingKeys.listPublished(new Date().toISOString());
  assert.match(resealed!.privateJwk, /^v1\./, 'sealed at the next start');
  assert.doesNotMatch(resealed!.privateJwk, /"d"/);
  const rotated = await sealed.keys.rotate({ immediately: true });
  const newKey = (await sealed.store.signingKeys.listPublished(new Date().toISOString())).find((k) => k.kid === rotated.kid)!;
  assert.match(newKey.privateJwk, /^v1\./, 'a new key is sealed from the start');
  const signed = sealed.accessTokens.issueNow({ subject: 's', clientId: 'c', scopes: ['process_read'], workspaceId: 'w' });
  assert.equal((await sealed.accessTokens.verify(signed.accessToken)).sub, 's');
  await sealed.close();

  await assert.rejects(createServices(loadConfig(env)), /sealed: set GATEHOUSE_KEY_ENCRYPTION_KEY/);
  await assert.rejects(createServices(loadConfig({ ...env, GATEHOUSE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 8).toString('base64') })), /Unsupported state|unable to authenticate/i, 'another key cannot open them');
});

test('a key older than GATEHOUSE_KEY_ROTATION_DAYS is rotated once, by one caller, even when several ask together', async (t) => {
  const app = await startApp({ GATEHOUSE_KEY_ROTATION_DAYS: '1', GATEHOUSE_KEY_PUBLISH_SECONDS: '0' });
  t.after(() => app.close());
  const { keys } = app.services;
  assert.equal(await keys.rotateIfDue(() => {}), false, 'a new key is not due');
  // As if two days had passed: the only published key was activated two days ago.
  const rotations: string[] = [];
  const { store } = app.services;
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
  const stored = (await store.signingKeys.listAll())[0]!;
  await store.signingKeys.insert({ ...stored, kid: 'aged-key', createdAt: twoDaysAgo, activatesAt: twoDaysAgo, retiredAt: null, removesAt: null });
  await store.signingKeys.retireOthers('aged-key', twoDaysAgo, new Date(Date.now() - 1000).toISOString());
  await keys.reload();
  assert.equal(keys.signing.kid, 'aged-key');
  const results = await Promise.all([1, 2, 3].map(() => keys.rotateIfDue((r) => rotations.push(r.kid))));
  assert.equal(results.filter(Boolean).length, 1, 'one rotation');
  assert.equal(rotations.length, 1);
  assert.equal(await keys.rotateIfDue(() => rotations.push('again')), false, 'the new key is not due');
});
