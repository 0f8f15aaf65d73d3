import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { z } from 'zod';
import { badRequest, capabilityFailed, disposedDuring, resultTooLarge } from './capability-errors';
import { clamp } from './capability-limits';
import { method, type Capability, type CapabilityContext } from './capability-method';
import { headersArg, timeoutArg } from './arg-schemas';

const WS_SCHEMES = ['ws', 'wss'] as const;

let webSocketClass: typeof WebSocket | undefined;

/** `ws`, loaded at the first connection: most processes never open one, and loading it cost every start ~8 ms. */
function loadWebSocket(): typeof WebSocket {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose
  return (webSocketClass ??= require('ws') as typeof WebSocket);
}
const idArg = z.string().min(1).max(64);

const connectArgs = z.strictObject({ url: z.string().min(1).max(8192), headers: headersArg.optional() });
const sendArgs = z.strictObject({ id: idArg, data: z.string() });
const receiveArgs = z.strictObject({
  id: idArg,
  timeoutMs: z.number().int().min(0).max(24 * 60 * 60 * 1000).optional(),
  max: z.number().int().positive().optional(),
});
const closeArgs = z.strictObject({ id: idArg });

interface Connection {
  socket: WebSocket;
  queue: string[];
  closed: boolean;
  /** Wake the `receive` calls waiting for a first message or the close. */
  waiters: Set<() => void>;
}

/**
 * The `ws` capability: WebSocket clients to hosts in `permissions.net`. Incoming messages
 * wait in a bounded queue per connection; when it is full the socket is paused (TCP
 * back-pressure) until the plugin receives. Redirects during the handshake are not followed,
 * since the target would escape the gate.
 */
export function createWsCapability({ plugin, gate, limits, signal }: CapabilityContext): Capability {
  const connections = new Map<string, Connection>();

  function connection(where: string, id: string): Connection {
    const found = connections.get(id);
    if (!found) throw badRequest(plugin, where, `no open connection "${id}"`);
    return found;
  }

  return {
    methods: {
      connect: method(plugin, connectArgs, async (args): Promise<string> => {
        const url = gate.checkNet(args.url, WS_SCHEMES);
        if (connections.size >= limits.maxWsConnections) {
          throw resultTooLarge(plugin, 'ws.connect', `${limits.maxWsConnections} connections are already open; close one first`);
        }
        const socket = new (loadWebSocket())(url, {
          headers: args.headers,
          followRedirects: false,
          maxPayload: limits.maxWsMessageBytes,
          handshakeTimeout: limits.wsConnectTimeoutMs,
          perMessageDeflate: false,
        });
        const id = randomUUID();
        const conn: Connection = { socket, queue: [], closed: false, waiters: new Set() };
        socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
          const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
          conn.queue.push(buffer.toString(isBinary ? 'base64' : 'utf8'));
          if (conn.queue.length >= limits.maxWsQueuedMessages) socket.pause();
          for (const wake of conn.waiters) wake();
        });
        socket.on('close', () => {
          conn.closed = true;
          for (const wake of conn.waiters) wake();
        });
        await new Promise<void>((resolve, reject) => {
          const fail = (error: Error) => {
            socket.removeListener('open', opened);
            socket.terminate();
            reject(capabilityFailed(plugin, 'ws.connect', error));
          };
          const opened = () => {
            socket.removeListener('error', fail);
            socket.on('error', () => undefined);
            resolve();
          };
          socket.once('open', opened);
          socket.once('error', fail);
          socket.once('unexpected-response', (_request, response) => fail(new Error(`the server answered HTTP ${response.statusCode ?? '?'}`)));
        });
        if (signal.aborted) {
          socket.terminate();
          throw disposedDuring(plugin, 'ws.connect');
        }
        connections.set(id, conn);
        return id;
      }),

      send: method(plugin, sendArgs, async (args) => {
        const conn = connection('ws.send', args.id);
        if (Buffer.byteLength(args.data) > limits.maxWsMessageBytes) {
          throw resultTooLarge(plugin, 'ws.send', `the message is over the ${limits.maxWsMessageBytes}-byte limit`);
        }
        if (conn.closed || conn.socket.readyState !== conn.socket.OPEN) throw capabilityFailed(plugin, 'ws.send', new Error('the connection is closed'));
        await new Promise<void>((resolve, reject) =>
          conn.socket.send(args.data, (error) => (error ? reject(capabilityFailed(plugin, 'ws.send', error)) : resolve())),
        );
        return null;
      }),

      receive: method(plugin, receiveArgs, async (args): Promise<{ messages: string[]; closed: boolean }> => {
        const conn = connection('ws.receive', args.id);
        if (conn.queue.length === 0 && !conn.closed) {
          const waitMs = clamp(args.timeoutMs ?? 0, limits.maxWsReceiveWaitMs);
          if (waitMs > 0) {
            await new Promise<void>((resolve) => {
              const done = () => {
                clearTimeout(timer);
                signal.removeEventListener('abort', done);
                conn.waiters.delete(done);
                resolve();
              };
              const timer = setTimeout(done, waitMs);
              signal.addEventListener('abort', done);
              conn.waiters.add(done);
            });
          }
        }
        const messages = conn.queue.splice(0, args.max ?? conn.queue.length);
        if (conn.queue.length < limits.maxWsQueuedMessages && !conn.closed) conn.socket.resume();
        const closed = conn.closed && conn.queue.length === 0;
        if (closed) connections.delete(args.id);
        return { messages, closed };
      }),

      close: method(plugin, closeArgs, async (args) => {
        const conn = connections.get(args.id);
        connections.delete(args.id);
        if (conn && !conn.closed) conn.socket.close(1000);
        return null;
      }),
    },
    async dispose() {
      for (const conn of connections.values()) conn.socket.terminate();
      connections.clear();
    },
  };
}
