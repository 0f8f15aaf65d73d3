import * as net from 'node:net';
import { ErrorCodes } from '../../../../kernel/core/errors';
import { Database, upsertUsageRecords, type UsageRecordInput } from '../../../../kernel/services/storage';
import { rejectionOf } from '../../../../sdk/src/testing/rejection-of';
import { describePostgres, FAST_RETRY, TEST_DATABASE_URL } from '../backends';
import { usageRecords } from '../usage-records';

async function countRows(db: Database): Promise<number> {
  const row = (await db.knex('usage_records').count({ n: '*' }).first()) as { n: number };
  return row.n;
}

/** A TCP proxy to the test server that the test can cut, standing in for a server that dies. */
async function startProxy(): Promise<{ url: string; kill(): Promise<void> }> {
  const target = new URL(TEST_DATABASE_URL);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(TEST_DATABASE_URL);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    kill: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

describePostgres('PostgreSQL faults', (backend) => {
  it('a connection terminated mid-batch fails with E1001 and leaves none of the batch; the pool recovers', async () => {
    const watcher = await backend.connect();
    await backend.reset();
    await upsertUsageRecords(watcher, usageRecords(1_000));
    const before = await watcher.knex('usage_records').select('*').orderBy('dedup_key');

    // One connection, so the backend pid seen now is the one that will run the batch.
    const writer = await Database.connect(backend.options({ maxConnections: 1 }));
    try {
      const { rows } = (await writer.knex.raw('select pg_backend_pid() as pid')) as { rows: Array<{ pid: number }> };
      const pid = rows[0]?.pid as number;
      const batch: UsageRecordInput[] = usageRecords(200_000, { start: 1_000 });
      const writing = upsertUsageRecords(writer, batch);
      writing.catch(() => undefined);

      // Terminate once the second chunk's INSERT runs: the first chunk's rows are then written
      // inside the open transaction, so a partial batch existed and must not survive.
      let firstInsertStart: string | undefined;
      for (;;) {
        const { rows: activity } = (await watcher.knex.raw(
          `select state, query, query_start::text as started from pg_stat_activity where pid = ?`,
          [pid],
        )) as { rows: Array<{ state: string; query: string; started: string }> };
        const now = activity[0];
        if (now === undefined) throw new Error(`the writer's backend ${pid} disappeared before it was terminated`);
        if (now.state === 'active' && now.query.startsWith('insert into usage_records')) {
          if (firstInsertStart === undefined) firstInsertStart = now.started;
          else if (now.started !== firstInsertStart) break;
        }
        if (now.state === 'idle') throw new Error('the batch finished before it could be interrupted: make it bigger');
      }
      await watcher.knex.raw('select pg_terminate_backend(?)', [pid]);

      const error = await rejectionOf(writing);
      expect(error.code).toBe(ErrorCodes.DB_CONNECTION);
      expect(error.message).toMatch(/upserting 200000 usage records failed/);
      expect(await countRows(watcher)).toBe(1_000);
      expect(await watcher.knex('usage_records').select('*').orderBy('dedup_key')).toEqual(before);

      // The dead connection is dropped; the next call gets a fresh one.
      expect(await upsertUsageRecords(writer, usageRecords(10, { start: 1_000 }))).toEqual({ inserted: 10, updated: 0, unchanged: 0 });
    } finally {
      await writer.close();
    }
  });

  it('health check reports a server that went away as not ok, without throwing', async () => {
    const proxy = await startProxy();
    const db = await Database.connect({ ...backend.options({ url: proxy.url }), retry: FAST_RETRY });
    try {
      expect(await db.healthCheck()).toEqual({ ok: true, dialect: 'postgres', latencyMs: expect.any(Number) });
      await proxy.kill();
      const health = await db.healthCheck();
      expect(health.ok).toBe(false);
      expect(health.dialect).toBe('postgres');
      expect(health.error).toEqual(expect.any(String));
    } finally {
      await db.close();
    }
  });

  it('connecting through a server that went away fails with E1001 naming host:port', async () => {
    const proxy = await startProxy();
    await proxy.kill();
    const port = new URL(proxy.url).port;
    const error = await rejectionOf(Database.connect(backend.options({ url: proxy.url })));
    expect(error.code).toBe(ErrorCodes.DB_CONNECTION);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});
