import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes } from '../../../kernel/core/errors';
import type { HttpResponse } from '../../../sdk/src/capabilities';
import { makeHost, type HostFixture } from './host-fixture';

interface TestServer {
  port: number;
  connections: number;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 whose routes the tests choose. */
async function startServer(route: (req: http.IncomingMessage, res: http.ServerResponse, port: number) => void): Promise<TestServer> {
  const state: TestServer = { port: 0, connections: 0, requests: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      route(req, res, state.port);
    });
  });
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

describe('http capability', () => {
  let server: TestServer;
  let fx: HostFixture;

  beforeEach(async () => {
    server = await startServer((req, res, port) => {
      const url = new URL(req.url ?? '/', 'http://x');
      switch (url.pathname) {
        case '/hello':
          res.setHeader('x-test', 'yes');
          res.end(`hello ${req.method}`);
          return;
        case '/echo':
          res.end(JSON.stringify({ auth: req.headers.authorization ?? null, body: '' }));
          return;
        case '/big':
          // 2 MiB streamed in 64 KiB writes.
          for (let i = 0; i < 32; i += 1) res.write(Buffer.alloc(64 * 1024, 'b'));
          res.end();
          return;
        case '/redirect-same':
          res.writeHead(302, { location: '/hello' }).end();
          return;
        case '/redirect-unlisted':
          res.writeHead(302, { location: `http://localhost:${port}/hello` }).end();
          return;
        case '/redirect-loop':
          res.writeHead(307, { location: '/redirect-loop' }).end();
          return;
        case '/post-303':
          res.writeHead(303, { location: '/hello' }).end();
          return;
        default:
          res.writeHead(404).end('nope');
      }
    });
    fx = await makeHost({ permissions: { net: [`127.0.0.1:${server.port}`] }, limits: { maxRedirects: 3 } });
  });
  afterEach(async () => {
    await fx.dispose();
    await server.close();
  });

  const url = (p: string) => `http://127.0.0.1:${server.port}${p}`;

  it('fetches from an allowed host', async () => {
    const res = await fx.call<HttpResponse>('http', 'fetch', { url: url('/hello') });
    expect(res).toMatchObject({ status: 200, body: 'hello GET', truncated: false });
    expect(res.headers['x-test']).toBe('yes');
  });

  it('refuses an unlisted host before opening any connection', async () => {
    await expect(fx.call('http', 'fetch', { url: `http://localhost:${server.port}/hello` })).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
      message: expect.stringContaining('rimuru.permissions["net"]'),
    });
    await expect(fx.call('http', 'fetch', { url: 'file:///etc/passwd' })).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED });
    expect(server.connections).toBe(0);
  });

  it('follows a redirect that stays on an allowed host', async () => {
    expect(await fx.call('http', 'fetch', { url: url('/redirect-same') })).toMatchObject({ status: 200, body: 'hello GET' });
  });

  it('refuses a redirect to an unlisted host without requesting it', async () => {
    await expect(fx.call('http', 'fetch', { url: url('/redirect-unlisted') })).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED });
    expect(server.requests.map((r) => r.url)).toEqual(['/redirect-unlisted']);
  });

  it('drops credentials when a redirect changes origin', async () => {
    const both = await makeHost({ permissions: { net: [`127.0.0.1:${server.port}`, `localhost:${server.port}`] } });
    try {
      const res = await both.call('http', 'fetch', { url: url('/redirect-unlisted'), headers: { authorization: 'Bearer secret', 'x-keep': '1' } });
      expect(res).toMatchObject({ status: 200, body: 'hello GET' });
      expect(server.requests[0].headers.authorization).toBe('Bearer secret');
      expect(server.requests[1].headers.host).toBe(`localhost:${server.port}`);
      expect(server.requests[1].headers.authorization).toBeUndefined();
      expect(server.requests[1].headers['x-keep']).toBe('1');
    } finally {
      await both.dispose();
    }
  });

  it('gives up after the redirect limit', async () => {
    await expect(fx.call('http', 'fetch', { url: url('/redirect-loop') })).rejects.toMatchObject({
      code: ErrorCodes.CAPABILITY_FAILED,
      message: expect.stringContaining('redirects'),
    });
    expect(server.requests).toHaveLength(4);
  });

  it('turns a POST answered with 303 into a bodiless GET', async () => {
    const res = await fx.call('http', 'fetch', { url: url('/post-303'), method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    expect(res).toMatchObject({ status: 200, body: 'hello GET' });
    expect(server.requests[0]).toMatchObject({ method: 'POST', body: 'payload' });
    expect(server.requests[1]).toMatchObject({ method: 'GET', body: '' });
    expect(server.requests[1].headers['content-type']).toBeUndefined();
  });

  it('cuts a body larger than maxBytes and says so', async () => {
    const res = await fx.call<HttpResponse>('http', 'fetch', { url: url('/big'), maxBytes: 100_000 });
    expect(res.truncated).toBe(true);
    expect(res.body).toBe('b'.repeat(100_000));
    const whole = await fx.call<HttpResponse>('http', 'fetch', { url: url('/big') });
    expect(whole.truncated).toBe(false);
    expect(whole.body).toHaveLength(2 * 1024 * 1024);
  });

  it('sends method, headers and body', async () => {
    await fx.call('http', 'fetch', { url: url('/echo'), method: 'PUT', headers: { authorization: 'Bearer t' }, body: 'data' });
    expect(server.requests[0]).toMatchObject({ method: 'PUT', body: 'data' });
    expect(server.requests[0].headers.authorization).toBe('Bearer t');
  });

  it('rejects malformed requests with E2010', async () => {
    for (const args of [{ url: url('/hello'), method: 'CONNECT' }, { url: url('/hello'), headers: { 'x-a': 'b\r\nx-injected: 1' } }, { url: url('/hello'), maxBytes: -1 }]) {
      await expect(fx.call('http', 'fetch', args)).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST });
    }
  });

  it('reports a connection failure as E2009', async () => {
    const closed = await startServer(() => undefined);
    const port = closed.port;
    await closed.close();
    const other = await makeHost({ permissions: { net: [`127.0.0.1:${port}`] } });
    try {
      await expect(other.call('http', 'fetch', { url: `http://127.0.0.1:${port}/` })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_FAILED });
    } finally {
      await other.dispose();
    }
  });
});
