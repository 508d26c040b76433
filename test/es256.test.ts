// Our DER → JOSE unwrapping must give signatures every verifier accepts, and
// the batch signer must give each caller the signature of its own input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { compactVerify } from 'jose';
import { BatchSigner, derToJose, signEs256 } from '../src/oauth/tokens/es256.ts';

test('2000 ES256 signatures verify with node:crypto (P1363) and jose', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const header = Buffer.from('{"alg":"ES256"}').toString('base64url');
  for (let i = 0; i < 2000; i++) {
    const input = `${header}.${Buffer.from(`payload ${i}`).toString('base64url')}`;
    const signature = signEs256(input, privateKey);
    const raw = Buffer.from(signature, 'base64url');
    assert.equal(raw.length, 64);
    assert.ok(verify('sha256', Buffer.from(input), { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw), `signature ${i}`);
    // Short r or s values (leading zero bytes) are the case a naive unwrap gets wrong; jose checks a sample.
    if (i % 50 === 0 || raw[0] === 0 || raw[32] === 0) await compactVerify(`${input}.${signature}`, publicKey);
  }
});

test('malformed DER is refused', () => {
  assert.throws(() => derToJose(Buffer.from([0x31, 0x00])), /not DER/);
  assert.throws(() => derToJose(Buffer.from([0x30, 0x06, 0x03, 0x01, 0x01, 0x02, 0x01, 0x01])), /not DER/);
  const tooLong = Buffer.concat([Buffer.from([0x30, 0x25, 0x02, 0x21]), Buffer.alloc(33, 1), Buffer.from([0x02, 0x01, 0x01])]);
  assert.throws(() => derToJose(tooLong), /too long/);
});

test('BatchSigner: signatures asked for in one turn are made together at its end, each for its own input', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = new BatchSigner();
  const inputs = Array.from({ length: 25 }, (_, i) => `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(`claims ${i}`).toString('base64url')}`);
  let settled = 0;
  const pending = inputs.map((input) => signer.sign(input, privateKey).then((signature) => {
    settled++;
    return signature;
  }));
  // Nothing is signed before the turn ends: microtasks alone do not settle them.
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(settled, 0);
  const signatures = await Promise.all(pending);
  signatures.forEach((signature, i) => {
    assert.ok(verify('sha256', Buffer.from(inputs[i]!), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url')), `signature ${i}`);
  });
  // And the signer is ready for the next turn.
  const next = await signer.sign(inputs[0]!, privateKey);
  assert.ok(verify('sha256', Buffer.from(inputs[0]!), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(next, 'base64url')));
});

test('BatchSigner: a signature that fails rejects alone; the rest of its batch is signed', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { privateKey: edKey } = generateKeyPairSync('ed25519');
  const signer = new BatchSigner();
  const results = await Promise.allSettled([
    signer.sign('a.b', privateKey),
    signer.sign('c.d', edKey), // Ed25519 cannot sign with SHA-256: node:crypto throws
    signer.sign('e.f', privateKey),
  ]);
  assert.equal(results[1]!.status, 'rejected');
  for (const [i, input] of [[0, 'a.b'], [2, 'e.f']] as const) {
    const result = results[i]!;
    assert.equal(result.status, 'fulfilled');
    assert.ok(verify('sha256', Buffer.from(input), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(result.value, 'base64url')));
  }
});
