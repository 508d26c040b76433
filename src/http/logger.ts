// Log options. A request is logged once, when it completes, by method, path
// and status only: never its query string (it may hold a code), headers or body.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';

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

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  return {
    logController: new OneLinePerRequest(level),
    logger: {
      level,
      ...(stream ? { stream } : {}),
      serializers: {
        req: (req: LoggedRequest) => ({ method: req.method, path: req.url.split('?', 1)[0], ip: req.ip }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
    },
  };
}
