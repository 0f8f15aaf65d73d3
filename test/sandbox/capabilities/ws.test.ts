import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCodes } from '../../../kernel/core/errors';
import { makeHost, type HostFixture } from './host-fixture';

interface Received {
  messages: string[];
  closed: boolean;
}

describe('ws capability', () => {
  let server: WebSocketServer;
  let port: number;
  let fx: HostFixture;
  let upgrades: number;
  let serverSockets: WebSocket[];

  beforeEach(async () => {
    upgrades = 0;
    serverSockets = [];
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    port = (server.address() as AddressInfo).port;
    server.on('connection', (socket, request) => {
      upgrades += 1;
      serverSockets.push(socket);
      socket.send(`welcome ${request.headers['x-client'] ?? 'anonymous'}`);
      socket.on('message', (data) => socket.send(`echo ${String(data)}`));
    });
    fx = await makeHost({ permissions: { net: [`127.0.0.1:${port}`] }, limits: { maxWsConnections: 2 } });
  });
  afterEach(async () => {
    await fx.dispose();
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Receives until `count` messages (or the close) arrived; each call waits for the next message. */
  async function receiveAll(id: string, count: number): Promise<Received> {
    const all: Received = { messages: [], closed: false };
    while (all.messages.length < count && !all.closed) {
      const next = await fx.call<Received>('ws', 'receive', { id, timeoutMs: 5000 });
      all.messages.push(...next.messages);
      all.closed = next.closed;
    }
    return all;
  }

  it('connects to an allowed host, sends and receives', async () => {
    const id = await fx.call<string>('ws', 'connect', { url: `ws://127.0.0.1:${port}/`, headers: { 'x-client': 'plugin' } });
    await fx.call('ws', 'send', { id, data: 'ping' });
    expect((await receiveAll(id, 2)).messages).toEqual(['welcome plugin', 'echo ping']);
    await fx.call('ws', 'close', { id });
    await expect(fx.call('ws', 'send', { id, data: 'x' })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST });
  });

  it('refuses an unlisted host and a non-ws scheme before connecting', async () => {
    await expect(fx.call('ws', 'connect', { url: `ws://localhost:${port}/` })).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED });
    await expect(fx.call('ws', 'connect', { url: `http://127.0.0.1:${port}/` })).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED });
    expect(upgrades).toBe(0);
  });

  it('reports the server closing the connection', async () => {
    const id = await fx.call<string>('ws', 'connect', { url: `ws://127.0.0.1:${port}/` });
    expect((await receiveAll(id, 1)).messages).toEqual(['welcome anonymous']);
    serverSockets[0].close(1000, 'bye');
    expect(await receiveAll(id, 1)).toEqual({ messages: [], closed: true });
  });

  it('limits how many connections a plugin holds open', async () => {
    await fx.call('ws', 'connect', { url: `ws://127.0.0.1:${port}/` });
    await fx.call('ws', 'connect', { url: `ws://127.0.0.1:${port}/` });
    await expect(fx.call('ws', 'connect', { url: `ws://127.0.0.1:${port}/` })).rejects.toMatchObject({
      code: ErrorCodes.SANDBOX_RESULT_TOO_LARGE,
    });
  });

  it('closes every connection on dispose', async () => {
    await fx.call<string>('ws', 'connect', { url: `ws://127.0.0.1:${port}/` });
    const closed = new Promise<void>((resolve) => serverSockets[0].once('close', () => resolve()));
    await fx.host.dispose();
    await closed;
    expect(serverSockets[0].readyState).toBe(serverSockets[0].CLOSED);
  });
});
