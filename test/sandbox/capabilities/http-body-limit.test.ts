/**
 * `http.fetch` with `truncate: false`: a body over `maxBytes` fails the call (E2005) instead of
 * being cut, without the host buffering it — checked against a real server streaming 50 MB.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes } from '../../../kernel/core/errors';
import type { HttpResponse } from '../../../sdk/src/capabilities';
import { makeHost, type HostFixture } from './host-fixture';

const MiB = 1024 * 1024;
const HUGE = 50 * MiB;

interface StreamingServer {
  port: number;
  /** Bytes the server had handed to the socket when the client went away (or it finished). */
  written(): Promise<number>;
  close(): Promise<void>;
}

/** Streams `HUGE` bytes in 64 KiB writes, honouring backpressure, with or without a content-length. */
async function startStreamingServer(announce: boolean): Promise<StreamingServer> {
  let resolveWritten: (bytes: number) => void = () => undefined;
  const written = new Promise<number>((resolve) => (resolveWritten = resolve));
  const server = http.createServer((_req, res) => {
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    res.writeHead(200, announce ? { 'content-length': String(HUGE), 'content-type': 'application/json' } : { 'content-type': 'application/json' });
    res.on('close', () => resolveWritten(sent));
    const pump = (): void => {
      while (sent < HUGE) {
        sent += chunk.byteLength;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    written: () => written,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('http capability: bodies over maxBytes with truncate: false', () => {
  let server: StreamingServer | undefined;
  let fx: HostFixture | undefined;
  afterEach(async () => {
    await fx?.dispose();
    await server?.close();
    fx = undefined;
    server = undefined;
  });

  it.each([
    ['streamed without a content-length', false],
    ['announced by its content-length', true],
  ])('fails a 50 MB body %s with E2005 and stops reading it', async (_label, announce) => {
    server = await startStreamingServer(announce);
    fx = await makeHost({ permissions: { net: [`127.0.0.1:${server.port}`] } });
    await expect(fx.call('http', 'fetch', { url: `http://127.0.0.1:${server.port}/prices.json`, maxBytes: 4 * MiB, truncate: false })).rejects.toMatchObject({
      code: ErrorCodes.SANDBOX_RESULT_TOO_LARGE,
      message: expect.stringContaining(`over the ${4 * MiB}-byte limit`),
    });
    // The host cancelled the stream: the server never got to write most of the 50 MB.
    expect(await server.written()).toBeLessThan(HUGE / 2);
  });

  it('still cuts the body and says so when truncate is left at its default', async () => {
    server = await startStreamingServer(false);
    fx = await makeHost({ permissions: { net: [`127.0.0.1:${server.port}`] } });
    const response = await fx.call<HttpResponse>('http', 'fetch', { url: `http://127.0.0.1:${server.port}/`, maxBytes: 100_000 });
    expect(response).toMatchObject({ status: 200, truncated: true });
    expect(response.body).toHaveLength(100_000);
  });

  it('is clamped to the host limit: asking for more than maxHttpBodyBytes still fails at the host limit', async () => {
    server = await startStreamingServer(false);
    fx = await makeHost({ permissions: { net: [`127.0.0.1:${server.port}`] }, limits: { maxHttpBodyBytes: MiB } });
    await expect(fx.call('http', 'fetch', { url: `http://127.0.0.1:${server.port}/`, maxBytes: HUGE * 2, truncate: false })).rejects.toMatchObject({
      code: ErrorCodes.SANDBOX_RESULT_TOO_LARGE,
      message: expect.stringContaining(`over the ${MiB}-byte limit`),
    });
  });
});
