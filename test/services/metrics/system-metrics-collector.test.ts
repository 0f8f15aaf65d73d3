import os from 'node:os';
import { Writable } from 'node:stream';
import { Continue } from '@rimuru/sdk';
import { HookBus } from '../../../kernel/core/hooks';
import { createLogger } from '../../../kernel/core/logging';
import { SystemMetricsCollector, retentionMsOf } from '../../../kernel/services/metrics';
import { MetricsRepository, SessionRepository, type Database } from '../../../kernel/services/storage';
import { describeBackends } from '../storage/backends';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const MINUTE = 60_000;

function quietLogger(lines: string[] = []) {
  return createLogger({ level: 'warn', pretty: false, destination: new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }) });
}

describeBackends('SystemMetricsCollector', (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(async () => {
    await backend.reset();
    const sessions = new SessionRepository(db);
    const session = (id: string, status: 'active' | 'completed', lastActivityAt: number) =>
      sessions.save({ id: `codex:${id}`, agentId: 'codex', agentType: 'codex', externalId: id, status, startedAt: lastActivityAt - 5 * MINUTE, lastActivityAt });
    await session('now', 'active', NOW - 2 * MINUTE);
    await session('recent', 'active', NOW - 29 * MINUTE);
    await session('silent', 'active', NOW - 31 * MINUTE);
    await session('done', 'completed', NOW - MINUTE);
  });

  function collector(bus = new HookBus(), options: { now?: () => number; retentionDays?: number } = {}, logger = quietLogger()) {
    return new SystemMetricsCollector({ database: db, hookBus: bus, logger, intervalMs: 20, retentionMs: retentionMsOf(options.retentionDays ?? 30), now: options.now ?? (() => NOW) });
  }

  it('records CPU, memory and the active sessions from the store; CPU % from the second sample on', async () => {
    const metrics = collector();
    const first = await metrics.collect();
    expect(first).toMatchObject({ collectedAt: NOW, cpuPercent: null, memoryTotalBytes: os.totalmem(), activeSessions: 2 });
    expect(first?.memoryUsedBytes).toBeGreaterThan(0);
    expect(first?.memoryUsedBytes).toBeLessThanOrEqual(os.totalmem());
    // Some CPU work between the samples, so the second has a share to measure.
    let spin = 0;
    for (let i = 0; i < 2e6; i++) spin += Math.sqrt(i);
    expect(spin).toBeGreaterThan(0);
    const second = await metrics.collect();
    expect(second?.cpuPercent).toEqual(expect.any(Number));
    expect(second?.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(second?.cpuPercent).toBeLessThanOrEqual(100);
    expect(second?.extra).toMatchObject({ processRssBytes: expect.any(Number), processHeapUsedBytes: expect.any(Number), loadAverage1m: expect.any(Number) });
    const stored = await new MetricsRepository(db).findAll();
    expect(stored.map((sample) => sample.id)).toEqual([first?.id, second?.id]);
    expect(metrics.latest?.id).toBe(second?.id);
    expect(metrics.counts).toEqual({ samples: 2, failures: 0, deleted: 0 });
  });

  it('fires MetricsExport with the sample, the time as ISO', async () => {
    const bus = new HookBus();
    const payloads: unknown[] = [];
    bus.register({ id: 'test', owner: 'host', hook: 'MetricsExport', priority: 1, handle: (payload: unknown) => (payloads.push(payload), Continue()) });
    await collector(bus).collect();
    expect(payloads).toEqual([
      {
        collectedAt: new Date(NOW).toISOString(),
        metrics: expect.objectContaining({ activeSessions: 2, memoryTotalBytes: os.totalmem(), memoryUsedBytes: expect.any(Number), processRssBytes: expect.any(Number) }),
      },
    ]);
    // No CPU share yet on the first sample: left out rather than sent as 0.
    expect(Object.keys((payloads[0] as { metrics: object }).metrics)).not.toContain('cpuPercent');
  });

  it('deletes samples older than the retention as it records new ones, and keeps the rest', async () => {
    const repository = new MetricsRepository(db);
    await repository.record({ collectedAt: NOW - 8 * 86_400_000, cpuPercent: 1 });
    await repository.record({ collectedAt: NOW - 6 * 86_400_000, cpuPercent: 2 });
    const metrics = collector(new HookBus(), { retentionDays: 7 });
    await metrics.collect();
    expect((await repository.findAll()).map((sample) => sample.collectedAt)).toEqual([NOW - 6 * 86_400_000, NOW]);
    expect(metrics.counts.deleted).toBe(1);
  });

  it('counts and logs a failed sample without throwing, and the next one works', async () => {
    const lines: string[] = [];
    let broken = true;
    const metrics = new SystemMetricsCollector({
      database: db,
      hookBus: new HookBus(),
      logger: quietLogger(lines),
      intervalMs: 20,
      retentionMs: retentionMsOf(30),
      now: () => NOW,
      sampler: {
        sample() {
          if (broken) throw new Error('no /proc today');
          return { cpuPercent: 12.5, memoryUsedBytes: 1, memoryTotalBytes: 2, processRssBytes: 3, processHeapUsedBytes: 4, processCpuPercent: 5, loadAverage1m: 0.5 };
        },
      },
    });
    await expect(metrics.collect()).resolves.toBeNull();
    expect(metrics.counts.failures).toBe(1);
    expect(lines.join('')).toContain('no /proc today');
    broken = false;
    expect(await metrics.collect()).toMatchObject({ cpuPercent: 12.5, memoryUsedBytes: 1, memoryTotalBytes: 2, activeSessions: 2 });
  });

  it('samples on start and every interval until stopped', async () => {
    let clock = NOW;
    const metrics = collector(new HookBus(), { now: () => (clock += 1_000) });
    metrics.start();
    const repository = new MetricsRepository(db);
    while ((await repository.findAll()).length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await metrics.stop();
    const count = (await repository.findAll()).length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await repository.findAll()).length).toBe(count);
  });
});
