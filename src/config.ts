// Configuration comes from the environment only. Every value is checked at
// start-up; a bad one stops the server with one line naming the variable.

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  issuer: string;
  /** The `aud` of access tokens, and what the API accepts. */
  apiAudience: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  authCodeTtl: number;
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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function databaseUrl(env: Env): string {
  const raw = env.DATABASE_URL || 'sqlite:./data/gatehouse.db';
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

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const issuer = baseUrl('GATEHOUSE_ISSUER', env.GATEHOUSE_ISSUER || `http://localhost:${port}`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    port,
    host,
    databaseUrl: databaseUrl(env),
    issuer,
    apiAudience: env.GATEHOUSE_API_AUDIENCE ? baseUrl('GATEHOUSE_API_AUDIENCE', env.GATEHOUSE_API_AUDIENCE) : `${issuer}/api`,
    accessTokenTtl: integer(env, 'GATEHOUSE_ACCESS_TOKEN_TTL', 3600, 60, 86_400),
    refreshTokenTtl: integer(env, 'GATEHOUSE_REFRESH_TOKEN_TTL', 30 * 86_400, 60, 365 * 86_400),
    authCodeTtl: integer(env, 'GATEHOUSE_AUTH_CODE_TTL', 60, 10, 600),
    logLevel,
  };
}
