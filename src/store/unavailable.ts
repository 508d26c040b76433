// Which store errors mean "the database cannot serve now" (an outage, a
// timeout, a read-only file, a full disk) rather than a bug: those answer 503
// with Retry-After and are logged once per outage, not once per request.

/** Thrown instead of trying the database while it is known to be down. */
export class StoreUnavailableError extends Error {
  constructor(message = 'the database is unavailable') {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

// PostgreSQL SQLSTATE classes and codes that say the server or the connection
// failed: 08 connection exception, 53 insufficient resources, 57P01-57P05
// shutdown and connection limits, 57014 a statement cancelled by its timeout.
const PG_CLASSES = ['08', '53'];
const PG_CODES = new Set(['57P01', '57P02', '57P03', '57P04', '57P05', '57014', '25006']);
// Errors node-postgres raises itself, or the socket below it.
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const PG_CLIENT_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client was closed and is not queryable',
  'Connection closed',
  'connect ECONNREFUSED',
];
// SQLite result codes (primary, the low byte) for a database that cannot be
// written or read now: BUSY 5, LOCKED 6, NOMEM 7, READONLY 8, IOERR 10,
// CORRUPT 11, FULL 13, CANTOPEN 14.
const SQLITE_CODES = new Set([5, 6, 7, 8, 10, 11, 13, 14]);

export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') return SQLITE_CODES.has(errcode & 0xff);
  if (typeof code === 'string') {
    if (NODE_CODES.has(code) || PG_CODES.has(code)) return true;
    if (code.length === 5 && PG_CLASSES.includes(code.slice(0, 2))) return true;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && PG_CLIENT_MESSAGES.some((m) => message.includes(m));
}

/** Seconds a client should wait before trying again, sent as Retry-After with every 503. */
export const RETRY_AFTER_SECONDS = 5;
