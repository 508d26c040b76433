// Our DER → JOSE unwrapping must give signatures every verifier accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { compactVerify } from 'jose';
import { derToJose, signEs256 } from '../src/oauth/tokens/es256.ts';

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
