// Micro-benchmark of ES256 JWT access tokens, on Gatehouse's own key ring:
//   signing:      jose SignJWT (async) vs node:crypto sign (sync) in JOSE
//                 form, and Gatehouse's AccessTokens: issueNow (node:crypto
//                 to DER, unwrapped by hand) and issue (the same, batched per
//                 event-loop turn) one call at a time and ten at once;
//   verification: jose jwtVerify (a full check every call) vs Gatehouse's
//                 AccessTokens.verify on a cache miss and a cache hit.
// `node bench/jwt.ts` prints a table; `--json` prints the figures as JSON
// (that is how bench/run.ts runs it).
import { randomBytes, sign } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { jwtVerify, SignJWT } from 'jose';
import { KyselyStore } from '../src/store/kysely-store.ts';
import { KeyRing } from '../src/oauth/keys/key-ring.ts';
import { AccessTokens } from '../src/oauth/tokens/access-token.ts';
import { formatJwt, type JwtOp, type JwtResults } from './lib.ts';

const ISSUER = 'http://127.0.0.1:3000';
const AUDIENCE = `${ISSUER}/api`;
const WARMUP_MS = 300;
const MEASURE_MS = 1_000;
const BATCH = 50;

function result(name: string, ops: number, ns: bigint): JwtOp {
  const usPerOp = Number(ns) / 1_000 / ops;
  return { name, usPerOp, opsPerSec: 1_000_000 / usPerOp, ops };
}

/** Runs `fn` in batches for WARMUP_MS (discarded), then for at least MEASURE_MS. */
function measureSync(name: string, fn: () => unknown): JwtOp {
  const runFor = (ms: number) => {
    const start = process.hrtime.bigint();
    const budget = BigInt(ms) * 1_000_000n;
    let ops = 0;
    let elapsed: bigint;
    do {
      for (let i = 0; i < BATCH; i++) fn();
      ops += BATCH;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < budget);
    return { ops, elapsed };
  };
  runFor(WARMUP_MS);
  const { ops, elapsed } = runFor(MEASURE_MS);
  return result(name, ops, elapsed);
}

/** As measureSync, awaiting each call in turn. */
async function measureAsync(name: string, fn: () => Promise<unknown>): Promise<JwtOp> {
  const runFor = async (ms: number) => {
    const start = process.hrtime.bigint();
    const budget = BigInt(ms) * 1_000_000n;
    let ops = 0;
    let elapsed: bigint;
    do {
      for (let i = 0; i < BATCH; i++) await fn();
      ops += BATCH;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < budget);
    return { ops, elapsed };
  };
  await runFor(WARMUP_MS);
  const { ops, elapsed } = await runFor(MEASURE_MS);
  return result(name, ops, elapsed);
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function measureJwt(): Promise<JwtResults> {
  const store = KyselyStore.open('sqlite::memory:');
  try {
    await store.migrate();
    const keys = await KeyRing.open(store, { alg: 'ES256', accessTokenTtlSeconds: 3600, publishSeconds: 0, rotationDays: 0, box: null });
    const { kid, privateKey } = keys.signing;
    const publicKey = (await keys.verificationKey(kid))?.key;
    if (!publicKey) throw new Error('the key ring has no public key for its own signing key');
    const tokens = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 3600 });
    const grant = { subject: 'bench-client', clientId: 'bench-client', scopes: ['process_read', 'process'], workspaceId: 'w-bench' };

    // The same claims Gatehouse puts in a token, fresh for every signature.
    const claims = () => {
      const iat = Math.floor(Date.now() / 1000);
      return {
        iss: ISSUER, sub: grant.subject, aud: AUDIENCE, exp: iat + 3600, iat,
        jti: randomBytes(16).toString('base64url'), client_id: grant.clientId, scope: grant.scopes.join(' '), ws: grant.workspaceId,
      };
    };
    const header = { alg: 'ES256', typ: 'at+jwt', kid };

    // Each signer's output must verify before it is timed.
    const joseSign = () => new SignJWT(claims()).setProtectedHeader(header).sign(privateKey);
    const cryptoSign = () => {
      const input = `${base64url(header)}.${base64url(claims())}`;
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${input}.${signature.toString('base64url')}`;
    };
    const verifyOptions = { algorithms: ['ES256'], typ: 'at+jwt', issuer: ISSUER, audience: AUDIENCE };
    const issueToken = async () => (await tokens.issue(grant)).accessToken;
    for (const token of [await joseSign(), cryptoSign(), tokens.issueNow(grant).accessToken, await issueToken()]) {
      await jwtVerify(token, publicKey, verifyOptions);
    }

    const signJose = await measureAsync('sign    jose SignJWT', joseSign);
    const signCrypto = measureSync('sign    node:crypto sign', cryptoSign);
    const issueNow = measureSync('sign    AccessTokens.issueNow', () => tokens.issueNow(grant));
    const issue = await measureAsync('sign    AccessTokens.issue', issueToken);
    const tenAtOnce = await measureAsync('sign    AccessTokens.issue ×10', () => Promise.all(Array.from({ length: 10 }, issueToken)));
    const issueBatched = { ...tenAtOnce, name: 'sign    AccessTokens.issue, 10 at once', usPerOp: tenAtOnce.usPerOp / 10, opsPerSec: tenAtOnce.opsPerSec * 10, ops: tenAtOnce.ops * 10 };

    const token = await issueToken();
    const verifyJose = await measureAsync('verify  jose jwtVerify (cold)', () => jwtVerify(token, publicKey, verifyOptions));

    // A cache miss needs a token never verified before: issue them up front.
    const fresh = await Promise.all(Array.from({ length: Math.max(1_000, Math.ceil(verifyJose.opsPerSec * 1.2)) }, issueToken));
    let next = 0;
    const missStart = process.hrtime.bigint();
    for (const t of fresh) {
      await tokens.verify(t);
      next++;
    }
    const verifyMiss = result('verify  AccessTokens.verify (miss)', next, process.hrtime.bigint() - missStart);

    await tokens.verify(token);
    const verifyHit = await measureAsync('verify  AccessTokens.verify (hit)', () => tokens.verify(token));

    return {
      sign: {
        jose: signJose, crypto: signCrypto, gatehouseIssueNow: issueNow, gatehouseIssue: issue, gatehouseIssueBatched: issueBatched, joseOverCrypto: signJose.usPerOp / signCrypto.usPerOp,
      },
      verify: { joseCold: verifyJose, gatehouseMiss: verifyMiss, gatehouseHit: verifyHit, joseColdOverHit: verifyJose.usPerOp / verifyHit.usPerOp },
    };
  } finally {
    await store.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await measureJwt();
  const usage = process.cpuUsage();
  results.cpuMs = (usage.user + usage.system) / 1000;
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results)}\n`);
  else process.stdout.write(`${formatJwt(results)}\n`);
}
