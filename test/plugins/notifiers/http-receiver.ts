/**
 * A real HTTP receiver on 127.0.0.1 for notifier tests: records every request (method, path,
 * headers, the raw body) and answers from a script of statuses; `hang` answers nothing, ever.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Answer = number | 'hang' | { status: number; body: string };

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: ReceivedRequest[];
  /** Answers for the next requests, in order; after the last, `fallback`. */
  script(answers: Answer[], fallback?: Answer): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const hanging: ServerResponse[] = [];
  let answers: Answer[] = [];
  let fallback: Answer = 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers.length > 0 ? (answers.shift() as Answer) : fallback;
      if (answer === 'hang') {
        hanging.push(res);
        return;
      }
      const { status, body } = typeof answer === 'number' ? { status: answer, body: defaultBody(answer) } : answer;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    script(next, last = 200) {
      answers = [...next];
      fallback = last;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function defaultBody(code: number): string {
  return code < 300 ? 'ok' : `error ${code}`;
}
