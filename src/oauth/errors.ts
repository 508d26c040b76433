// RFC 6749 §5.2 errors. The body also carries `message`, the same text as
// `error_description`, because SolveXia's scripts read `message`.

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 400,
  unsupported_response_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  // RFC 8628 §3.5: polling answers are 400s.
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
};

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(error: OAuthErrorCode, description: string, headers: Record<string, string> = {}) {
    super(description);
    this.error = error;
    this.status = STATUS[error];
    this.headers = headers;
  }

  /** For Fastify's error handlers (a page that meets one answers 4xx, not 500). */
  get statusCode(): number {
    return this.status;
  }

  toJSON(): { error: string; error_description: string; message: string } {
    return { error: this.error, error_description: this.message, message: this.message };
  }
}
