// Log options. A request is logged once, when it completes, by method, path
// and status only: never its query string (it may hold a code), headers or body.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString, LogFn } from 'pino';

interface LoggedRequest {
  method: string;
  url: string;
  id: string;
  ip: string;
}

const INFO_OR_LOWER = new Set(['info', 'debug', 'trace']);

class OneLinePerRequest extends LogController {
  readonly #logSuccess: boolean;
  constructor(level: string) {
    super();
    // Decided once: at warn and above, a successful request costs no log object at all.
    this.#logSuccess = INFO_OR_LOWER.has(level);
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!error && !this.#logSuccess) return;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    if (error) reply.log.error({ req: request, res: reply, ms, err: error }, 'request failed');
    else reply.log.info({ req: request, res: reply, ms }, 'request');
  }
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger, made only when something is logged at an enabled
 * level: most requests log nothing, and a pino child per request (its
 * bindings serialized) was a measurable share of the API's fastest routes.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get level(): LevelWithSilentOrString {
    return this.#parent.level;
  }
  set level(level: LevelWithSilentOrString) {
    this.#real().level = level;
  }
  // Methods on the prototype, not arrow properties: nothing is allocated per request.
  silent(): void {}
  fatal(...args: Parameters<LogFn>): void {
    this.#log('fatal', args);
  }
  error(...args: Parameters<LogFn>): void {
    this.#log('error', args);
  }
  warn(...args: Parameters<LogFn>): void {
    this.#log('warn', args);
  }
  info(...args: Parameters<LogFn>): void {
    this.#log('info', args);
  }
  debug(...args: Parameters<LogFn>): void {
    this.#log('debug', args);
  }
  trace(...args: Parameters<LogFn>): void {
    this.#log('trace', args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }

  #log(level: Level, args: Parameters<LogFn>): void {
    // pino's own check; Fastify's base logger type does not name it.
    const enabled = (this.#parent as Partial<{ isLevelEnabled(level: string): boolean }>).isLevelEnabled?.(level) ?? true;
    if (this.#child === undefined && !enabled) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }
}

/**
 * Errors as logs show them. Node's argument errors (ERR_INVALID_ARG_TYPE and
 * the like) quote the value they were given, which can be a password or a
 * token: their message is withheld, and the stack keeps only its frames.
 */
export function serializeError(error: unknown): { type: string; message: string; stack: string; code?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error), stack: '' };
  const code = (error as { code?: unknown }).code;
  const quotesValue = typeof code === 'string' && /^ERR_(INVALID_ARG|OUT_OF_RANGE|INVALID_RETURN)/.test(code);
  const stack = error.stack ?? '';
  const frames = stack.indexOf('\n    at ') >= 0 ? stack.slice(stack.indexOf('\n    at ') + 1) : '';
  return {
    type: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: quotesValue ? `${error.name} (${code}): message withheld, it may quote a secret` : error.message,
    stack: quotesValue ? frames : stack,
  };
}

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): Pick<FastifyServerOptions, 'logger' | 'logController' | 'childLoggerFactory'> {
  return {
    logController: new OneLinePerRequest(level),
    childLoggerFactory: (logger, bindings, options) => new LazyRequestLogger(logger, bindings, options),
    logger: {
      level,
      ...(stream ? { stream } : {}),
      serializers: {
        req: (req: LoggedRequest) => ({ method: req.method, path: req.url.split('?', 1)[0], ip: req.ip }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
        err: serializeError,
      },
    },
  };
}
