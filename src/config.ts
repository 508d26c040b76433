import { isIP } from 'node:net';

// Configuration comes from the environment only. Each variable is declared
// once below; `npm run docs:config` renders the same list as
// docs/configuration.md. A bad value stops start-up with one line naming it.

export interface Config {
  port: number;
  host: string;
  /** Where GET /metrics is served: 'main' (on the main port), a port of its own (bound to `host`), or 'off'. */
  metrics: 'main' | 'off' | number;
  /** The bearer token /metrics requires; null: none. */
  metricsToken: string | null;
  databaseUrl: string;
  issuer: string;
  /** The `aud` of access tokens, and what the API accepts. */
  apiAudience: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  authCodeTtl: number;
  /** How long a just-rotated refresh token still works (concurrent refreshes); 0 = never. */
  refreshGraceSeconds: number;
  deviceCodeTtl: number;
  devicePollInterval: number;
  /** Addresses of proxies whose X-Forwarded-* headers are believed; empty: none. */
  trustProxy: string[];
  /** How long an admin's password-reset link works, seconds. */
  passwordResetTtl: number;
  /** smtp:// or smtps:// URL of a mail server; null: nothing is mailed. */
  smtpUrl: string | null;
  mailFrom: string;
  /** Addresses or CIDR ranges outbound requests (http steps, webhooks) may reach although they are private. */
  outboundAllow: string[];
  /** Whether this node runs the run engine and the webhook dispatcher. */
  workers: boolean;
  engineLeaseSeconds: number;
  engineConcurrency: number;
  webhookRetrySchedule: number[];
  /** How long a stop (SIGTERM) waits for steps and requests in flight. */
  shutdownSeconds: number;
  /** How many days the audit log keeps an event before the janitor deletes it. */
  auditRetentionDays: number;
  /** The longest a PostgreSQL connection attempt or query may take, seconds. */
  databaseTimeoutSeconds: number;
  /** The longest a client may take to send a request's headers, and the whole request, seconds. */
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  /** Seconds between the janitor's passes. */
  janitorIntervalSeconds: number;
  /** The algorithm of signing keys made from now on. */
  signingAlg: 'ES256' | 'EdDSA';
  /** Days between automatic key rotations; 0: only by hand. */
  keyRotationDays: number;
  /** How long a new key is published before it signs, seconds. */
  keyPublishSeconds: number;
  /** 32 bytes (base64url) that seal private keys at rest; null: stored as JWK JSON. */
  keyEncryptionKey: string | null;
  /** redis:// or rediss:// URL for limits shared by every node; null: none. */
  redisUrl: string | null;
  redisPrefix: string;
  logLevel: string;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

export interface Variable {
  name: string;
  /** The default as the reference shows it. */
  default: string;
  description: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function databaseUrl(raw: string): string {
  if (/^sqlite:.+/.test(raw)) return raw;
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
      return raw;
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
  }
  throw new ConfigError('DATABASE_URL', 'must be sqlite:<path> or postgres://…');
}

function baseUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL');
  if (url.search || url.hash) throw new ConfigError(name, 'must not carry a query or fragment');
  return url.href.replace(/\/$/, '');
}

function smtpUrl(raw: string | undefined): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('GATEHOUSE_SMTP_URL', 'is not a URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('GATEHOUSE_SMTP_URL', 'must be an smtp:// or smtps:// URL');
  return raw;
}

/** A comma-separated list of IP addresses and CIDR ranges. */
function addresses(name: string, raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  for (const entry of list) {
    const [address = '', bits] = entry.split('/');
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address) === 6 ? 128 : 32));
    if (!isIP(address) || !validBits) throw new ConfigError(name, `"${entry}" is not an IP address or CIDR range`);
  }
  return list;
}

function redisUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: the URL may carry Redis's password.
    throw new ConfigError('REDIS_URL', 'is not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError('REDIS_URL', `must start with redis:// or rediss://, got "${url.protocol}//"`);
  return raw;
}

function signingAlg(raw: string | undefined): 'ES256' | 'EdDSA' {
  if (raw === undefined || raw === '' || raw === 'ES256') return 'ES256';
  if (raw === 'EdDSA') return 'EdDSA';
  throw new ConfigError('GATEHOUSE_SIGNING_ALG', `must be ES256 or EdDSA, got "${raw}"`);
}

function keyEncryptionKey(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  // Standard or URL-safe base64, padded or not.
  const bytes = Buffer.from(raw.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  if (bytes.length !== 32 || !/^[A-Za-z0-9+/_-]+=*$/.test(raw)) throw new ConfigError('GATEHOUSE_KEY_ENCRYPTION_KEY', 'must be 32 random bytes in base64 (44 characters, or 43 without padding)');
  return bytes.toString('base64url');
}

function onOff(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on' || raw === 'true' || raw === '1') return true;
  if (raw === 'off' || raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be on or off, got "${raw}"`);
}

/** `on` (the main port), `off`, or a port of its own, which must not be PORT. */
function metricsExposure(raw: string | undefined, mainPort: number): 'main' | 'off' | number {
  const name = 'GATEHOUSE_METRICS';
  if (raw === undefined || raw === '' || raw === 'on' || raw === 'true') return 'main';
  if (raw === 'off' || raw === 'false') return 'off';
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be on, off or a port number, got "${raw}"`);
  const port = integer(name, raw, 0, 1, 65535);
  if (port === mainPort) throw new ConfigError(name, `must not be PORT (${port}); use on to serve /metrics on the main port`);
  return port;
}

function metricsToken(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (!/^[\x21-\x7e]{16,}$/.test(raw)) throw new ConfigError('GATEHOUSE_METRICS_TOKEN', 'must be at least 16 printable characters, without spaces');
  return raw;
}

function schedule(name: string, raw: string | undefined, fallback: number[]): number[] {
  if (raw === undefined || raw === '') return fallback;
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length > 20 || parts.some((p) => !/^\d{1,6}$/.test(p))) throw new ConfigError(name, 'must be up to 20 whole numbers of seconds, separated by commas');
  return parts.map(Number);
}

const DEFAULT_RETRY_SCHEDULE = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800];

export const VARIABLES: Variable[] = [
  { name: 'PORT', default: '3000', description: 'TCP port the server listens on.' },
  { name: 'HOST', default: '127.0.0.1', description: 'Address the server binds to; `0.0.0.0` for all interfaces.' },
  { name: 'GATEHOUSE_METRICS', default: 'on', description: 'Prometheus metrics at `GET /metrics` (requests, tokens issued, errors, runs, webhooks, janitor, database pool, event-loop delay; the README lists them). `on`: on the main port, to anyone who can reach it unless `GATEHOUSE_METRICS_TOKEN` is set; a port number: on a listener of its own on that port, bound to `HOST`, so that it can be kept off the public network; `off`: not served, and requests are not timed.' },
  { name: 'GATEHOUSE_METRICS_TOKEN', default: '(none)', description: 'A bearer token (16 or more printable characters) that `GET /metrics` then requires: `Authorization: Bearer <token>` (Prometheus: `authorization: { credentials: … }`).' },
  { name: 'DATABASE_URL', default: 'sqlite:./data/gatehouse.db', description: '`sqlite:<path>` for the embedded database (the file and folder are created), or `postgres://user@host:port/db` for PostgreSQL.' },
  { name: 'GATEHOUSE_ISSUER', default: 'http://localhost:$PORT', description: 'Public base URL of the server: the `iss` of tokens and the base of every URL in the metadata.' },
  { name: 'GATEHOUSE_API_AUDIENCE', default: '$GATEHOUSE_ISSUER/api', description: 'The `aud` of access tokens; the API refuses tokens for any other audience.' },
  { name: 'GATEHOUSE_ACCESS_TOKEN_TTL', default: '3600', description: 'Access-token lifetime in seconds (60 to 86400).' },
  { name: 'GATEHOUSE_REFRESH_TOKEN_TTL', default: '2592000', description: 'Refresh-token lifetime in seconds (60 to 31536000); 30 days by default.' },
  { name: 'GATEHOUSE_AUTH_CODE_TTL', default: '60', description: 'Authorization-code lifetime in seconds (10 to 600).' },
  { name: 'GATEHOUSE_REFRESH_GRACE_SECONDS', default: '10', description: 'How long a refresh token that was just rotated still works, so that concurrent refreshes do not trip reuse detection (0 to 60). Presented again in that time, it gets the same new refresh token as the first time (derived again, never stored), so the family never forks and both callers go on with the same token. The trade-off: for these seconds a stolen refresh token that was just used can be used once more without revoking the family, and it yields the same successor the owner got, never a new branch. Reuse after the window revokes the whole family. 0 turns the grace off: then two processes that refresh one token a few milliseconds apart log each other out, as in other servers.' },
  { name: 'GATEHOUSE_DEVICE_CODE_TTL', default: '600', description: 'Lifetime of a device authorization (RFC 8628) in seconds (5 to 3600).' },
  { name: 'GATEHOUSE_DEVICE_POLL_INTERVAL', default: '5', description: 'Seconds a device must wait between token polls (1 to 60); each `slow_down` adds 5.' },
  { name: 'GATEHOUSE_TRUST_PROXY', default: '(none)', description: 'Comma-separated addresses or CIDR ranges of the reverse proxies in front of Gatehouse. Only their `X-Forwarded-For`/`-Proto` headers are believed (RFC 9700 §4.13); from anyone else they are ignored, so a client cannot pick the address that sign-in throttling counts.' },
  { name: 'GATEHOUSE_PASSWORD_RESET_TTL', default: '86400', description: 'How long a password-reset link issued by an admin works, in seconds (300 to 604800). It works once.' },
  { name: 'GATEHOUSE_SMTP_URL', default: '(none)', description: 'An SMTP server for outgoing mail, e.g. `smtps://user:password@mail.example.com:465`. With it, a password-reset link is emailed to the user; without it, the portal shows the link once for the admin to pass on.' },
  { name: 'GATEHOUSE_MAIL_FROM', default: 'Gatehouse <gatehouse@$HOST_OF_ISSUER>', description: 'The From address of mail Gatehouse sends.' },
  { name: 'GATEHOUSE_OUTBOUND_ALLOW', default: '(none)', description: 'Comma-separated addresses or CIDR ranges that http steps and webhooks may reach although they are loopback, private or link-local, e.g. an internal service at `10.1.2.3`. Everything else in those ranges is refused, checked on the address actually connected to and on every redirect.' },
  { name: 'GATEHOUSE_WORKERS', default: 'on', description: 'Whether this node runs the run engine and the webhook dispatcher (`on` or `off`). Turn it off on nodes that should only answer requests.' },
  { name: 'GATEHOUSE_ENGINE_LEASE_SECONDS', default: '30', description: 'How long a node holds a run it works on without renewing its lease (5 to 600). If the node dies, another takes the run over once its lease ends. Renewed every third of it while a step runs.' },
  { name: 'GATEHOUSE_ENGINE_CONCURRENCY', default: '32', description: 'How many runs one node drives at once (1 to 1000).' },
  { name: 'GATEHOUSE_WEBHOOK_RETRY_SCHEDULE', default: DEFAULT_RETRY_SCHEDULE.join(','), description: 'Seconds to wait before each retry of a webhook delivery that failed; after the last, the message is marked failed (and can be redelivered by hand).' },
  { name: 'GATEHOUSE_AUDIT_RETENTION_DAYS', default: '365', description: 'How many days the audit log (sign-ins, password changes, applications, tokens, consents, admin actions, run decisions; the portal\'s Audit page) keeps an event before the janitor deletes it (1 to 3650).' },
  { name: 'GATEHOUSE_SHUTDOWN_SECONDS', default: '10', description: 'On SIGTERM, how long to wait for requests and steps in flight before stopping them (1 to 600). Runs it could not finish are given back to the other nodes at once.' },
  { name: 'GATEHOUSE_DATABASE_TIMEOUT_SECONDS', default: '3', description: 'The longest a PostgreSQL connection attempt or query may take (1 to 120). Past it, the request answers `503` with `Retry-After` rather than hanging; while the database is unreachable, requests that need it answer `503` at once, tokens already seen keep working from memory, and the node recovers by itself when the database is back. Migrations are not limited.' },
  { name: 'GATEHOUSE_HEADERS_TIMEOUT_SECONDS', default: '10', description: 'How long a client may take to send a request\'s headers before its connection is closed (1 to 300): half-sent requests (slowloris) cannot hold connections open.' },
  { name: 'GATEHOUSE_REQUEST_TIMEOUT_SECONDS', default: '30', description: 'How long a client may take to send a whole request, body included (1 to 600). Live event streams are responses, not requests, and are not cut.' },
  { name: 'GATEHOUSE_JANITOR_INTERVAL_SECONDS', default: '600', description: 'Seconds between two passes of the janitor (10 to 86400), which deletes expired sessions, codes, revocations, refresh-token families, PATs and the like in batches until none is left. On PostgreSQL one node at a time runs it; `gatehouse purge` runs it by hand.' },
  { name: 'GATEHOUSE_SIGNING_ALG', default: 'ES256', description: 'The algorithm of signing keys made from now on: `ES256` (P-256) or `EdDSA` (Ed25519). A change takes effect at the next rotation (`gatehouse keys rotate`); tokens signed before keep verifying.' },
  { name: 'GATEHOUSE_KEY_ROTATION_DAYS', default: '90', description: 'Days between automatic rotations of the signing key (0 to 3650; 0: only by hand, `gatehouse keys rotate`). One node rotates; a new key is published in the JWKS before it signs, and the old one stays there until every token it signed has expired, so no client notices.' },
  { name: 'GATEHOUSE_KEY_PUBLISH_SECONDS', default: '900', description: 'How long a new signing key is in the JWKS before it signs (0 to 86400): longer than verifiers cache the JWKS (the JWKS says `max-age=300`).' },
  { name: 'GATEHOUSE_KEY_ENCRYPTION_KEY', default: '(none)', description: '32 random bytes, base64url (`openssl rand -base64 32 | tr +/ -_ | tr -d =`), that seal the private signing keys in the database (AES-256-GCM), so that a copy of the database alone cannot sign tokens. Set it on every node; keys stored in the clear are sealed at the next start. Without it, a database with sealed keys refuses to start.' },
  { name: 'REDIS_URL', default: '(none)', description: '`redis://host:port` (or `rediss://`) of a Redis that every node shares: sign-in, password-grant, device-code and client-authentication limits are then counted there, so they hold across nodes. Without it, password and device-code limits are counted in the database (shared too, one write per attempt) and client-authentication failures in each node\'s memory (a cluster of N nodes allows N times the limit). If Redis stops answering, each node counts in its own memory until it is back (a warning says so), and no one is refused for it.' },
  { name: 'GATEHOUSE_REDIS_PREFIX', default: 'gatehouse:', description: 'Put before every Redis key, so that several installations can share one Redis.' },
  { name: 'LOG_LEVEL', default: 'info', description: `Log level: ${LOG_LEVELS.join(', ')}. Logs are JSON lines on standard output and never hold secrets or tokens.` },
];

export function loadConfig(env: Env = process.env): Config {
  const port = integer('PORT', env.PORT, 3000, 0, 65535);
  const issuer = baseUrl('GATEHOUSE_ISSUER', env.GATEHOUSE_ISSUER || `http://localhost:${port}`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    metrics: metricsExposure(env.GATEHOUSE_METRICS, port),
    metricsToken: metricsToken(env.GATEHOUSE_METRICS_TOKEN),
    databaseUrl: databaseUrl(env.DATABASE_URL || 'sqlite:./data/gatehouse.db'),
    issuer,
    apiAudience: env.GATEHOUSE_API_AUDIENCE ? baseUrl('GATEHOUSE_API_AUDIENCE', env.GATEHOUSE_API_AUDIENCE) : `${issuer}/api`,
    accessTokenTtl: integer('GATEHOUSE_ACCESS_TOKEN_TTL', env.GATEHOUSE_ACCESS_TOKEN_TTL, 3600, 60, 86_400),
    refreshTokenTtl: integer('GATEHOUSE_REFRESH_TOKEN_TTL', env.GATEHOUSE_REFRESH_TOKEN_TTL, 30 * 86_400, 60, 365 * 86_400),
    authCodeTtl: integer('GATEHOUSE_AUTH_CODE_TTL', env.GATEHOUSE_AUTH_CODE_TTL, 60, 10, 600),
    deviceCodeTtl: integer('GATEHOUSE_DEVICE_CODE_TTL', env.GATEHOUSE_DEVICE_CODE_TTL, 600, 5, 3600),
    devicePollInterval: integer('GATEHOUSE_DEVICE_POLL_INTERVAL', env.GATEHOUSE_DEVICE_POLL_INTERVAL, 5, 1, 60),
    trustProxy: addresses('GATEHOUSE_TRUST_PROXY', env.GATEHOUSE_TRUST_PROXY),
    outboundAllow: addresses('GATEHOUSE_OUTBOUND_ALLOW', env.GATEHOUSE_OUTBOUND_ALLOW),
    workers: onOff('GATEHOUSE_WORKERS', env.GATEHOUSE_WORKERS, true),
    engineLeaseSeconds: integer('GATEHOUSE_ENGINE_LEASE_SECONDS', env.GATEHOUSE_ENGINE_LEASE_SECONDS, 30, 5, 600),
    engineConcurrency: integer('GATEHOUSE_ENGINE_CONCURRENCY', env.GATEHOUSE_ENGINE_CONCURRENCY, 32, 1, 1000),
    webhookRetrySchedule: schedule('GATEHOUSE_WEBHOOK_RETRY_SCHEDULE', env.GATEHOUSE_WEBHOOK_RETRY_SCHEDULE, DEFAULT_RETRY_SCHEDULE),
    shutdownSeconds: integer('GATEHOUSE_SHUTDOWN_SECONDS', env.GATEHOUSE_SHUTDOWN_SECONDS, 10, 1, 600),
    auditRetentionDays: integer('GATEHOUSE_AUDIT_RETENTION_DAYS', env.GATEHOUSE_AUDIT_RETENTION_DAYS, 365, 1, 3650),
    databaseTimeoutSeconds: integer('GATEHOUSE_DATABASE_TIMEOUT_SECONDS', env.GATEHOUSE_DATABASE_TIMEOUT_SECONDS, 3, 1, 120),
    headersTimeoutSeconds: integer('GATEHOUSE_HEADERS_TIMEOUT_SECONDS', env.GATEHOUSE_HEADERS_TIMEOUT_SECONDS, 10, 1, 300),
    requestTimeoutSeconds: integer('GATEHOUSE_REQUEST_TIMEOUT_SECONDS', env.GATEHOUSE_REQUEST_TIMEOUT_SECONDS, 30, 1, 600),
    janitorIntervalSeconds: integer('GATEHOUSE_JANITOR_INTERVAL_SECONDS', env.GATEHOUSE_JANITOR_INTERVAL_SECONDS, 600, 10, 86_400),
    signingAlg: signingAlg(env.GATEHOUSE_SIGNING_ALG),
    keyRotationDays: integer('GATEHOUSE_KEY_ROTATION_DAYS', env.GATEHOUSE_KEY_ROTATION_DAYS, 90, 0, 3650),
    keyPublishSeconds: integer('GATEHOUSE_KEY_PUBLISH_SECONDS', env.GATEHOUSE_KEY_PUBLISH_SECONDS, 900, 0, 86_400),
    keyEncryptionKey: keyEncryptionKey(env.GATEHOUSE_KEY_ENCRYPTION_KEY),
    redisUrl: redisUrl(env.REDIS_URL),
    redisPrefix: env.GATEHOUSE_REDIS_PREFIX || 'gatehouse:',
    refreshGraceSeconds: integer('GATEHOUSE_REFRESH_GRACE_SECONDS', env.GATEHOUSE_REFRESH_GRACE_SECONDS, 10, 0, 60),
    passwordResetTtl: integer('GATEHOUSE_PASSWORD_RESET_TTL', env.GATEHOUSE_PASSWORD_RESET_TTL, 86_400, 300, 604_800),
    smtpUrl: smtpUrl(env.GATEHOUSE_SMTP_URL),
    mailFrom: env.GATEHOUSE_MAIL_FROM || `Gatehouse <gatehouse@${new URL(issuer).hostname}>`,
    logLevel,
  };
}

/** The configuration reference as Markdown (docs/configuration.md). */
export function configurationReference(): string {
  const rows = VARIABLES.map((v) => `| \`${v.name}\` | \`${v.default}\` | ${v.description} |`);
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Gatehouse reads its configuration from environment variables only. A bad value stops start-up with one line that names the variable.',
    '',
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
