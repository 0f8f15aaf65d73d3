import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ErrorCodes, errorMessage, RimuruError } from '../core/errors';

/** A route: answers a GET (HEAD is answered from it without the body). */
export type RouteHandler = () => Promise<{ status: number; contentType: string; body: string }>;

export interface KernelHttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  routes: Record<string, RouteHandler>;
  logger: Logger;
}

/**
 * The kernel's HTTP server: a fixed set of GET routes (`/metrics`, `/health`), 404 for any other
 * path, 405 for other methods, 500 (logged) when a route fails. Listens on `server.host`
 * (default 127.0.0.1: this machine only).
 */
export class KernelHttpServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly port: number,
  ) {}

  /** @throws RimuruError E7101 when the address cannot be bound (in use, not this machine's, no permission). */
  static async start(options: KernelHttpServerOptions): Promise<KernelHttpServer> {
    const server = createServer((request, response) => void handle(request, response, options));
    // Idle keep-alive connections must not hold `close` open at shutdown.
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new RimuruError(ErrorCodes.SERVER_LISTEN_FAILED, `cannot serve HTTP on ${options.host}:${options.port}: ${error.code ?? ''} ${error.message} (change server.port or server.host in the config)`.replace(/\s+/g, ' '), {
            cause: error,
            details: { host: options.host, port: options.port },
          }),
        ),
      );
      server.listen(options.port, options.host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new KernelHttpServer(server, `http://${host}:${address.port}`, address.port);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

async function handle(request: IncomingMessage, response: ServerResponse, options: KernelHttpServerOptions): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const route = options.routes[path];
  if (route === undefined) return send(response, 404, 'text/plain; charset=utf-8', `not found: ${path} (try ${Object.keys(options.routes).join(', ')})\n`);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'text/plain; charset=utf-8', `${request.method ?? '?'} is not allowed on ${path}: use GET\n`);
  }
  try {
    const answer = await route();
    send(response, answer.status, answer.contentType, request.method === 'HEAD' ? '' : answer.body, Buffer.byteLength(answer.body, 'utf8'));
  } catch (error) {
    options.logger.warn({ path, err: errorMessage(error) }, 'HTTP route failed');
    send(response, 500, 'text/plain; charset=utf-8', `${path} failed: ${errorMessage(error)}\n`);
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string, length = Buffer.byteLength(body, 'utf8')): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': length, 'Cache-Control': 'no-store' });
  response.end(body);
}
