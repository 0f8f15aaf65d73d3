import type { Database } from '../../../../kernel/services/storage';
import { MetricsRepository } from '../../../../kernel/services/storage/repositories';
import { describeBackends } from '../backends';

const T = Date.UTC(2025, 5, 1);

describeBackends('MetricsRepository', (backend) => {
  let db: Database;
  let metrics: MetricsRepository;

  beforeAll(async () => {
    db = await backend.connect();
    metrics = new MetricsRepository(db, { now: () => T });
  });
  beforeEach(() => backend.reset());

  it('records samples (collectedAt defaults to now) and reads them back', async () => {
    const first = await metrics.record({ cpuPercent: 12.5, memoryUsedBytes: 1_000, memoryTotalBytes: 8_000, activeSessions: 2, extra: { load: [1, 2] } });
    expect(first).toEqual({ id: expect.any(Number), collectedAt: T, cpuPercent: 12.5, memoryUsedBytes: 1_000, memoryTotalBytes: 8_000, activeSessions: 2, extra: { load: [1, 2] } });
    expect(await metrics.findById(first.id)).toEqual(first);
    const bare = await metrics.save({ collectedAt: new Date(T + 1) });
    expect(bare).toMatchObject({ collectedAt: T + 1, cpuPercent: null, memoryUsedBytes: null, activeSessions: null, extra: {} });
    expect(bare.id).not.toBe(first.id);
  });

  it('lists chronologically, finds [from, to), and gives the latest', async () => {
    expect(await metrics.latest()).toBeNull();
    for (const offset of [30, 10, 20]) await metrics.record({ collectedAt: T + offset, cpuPercent: offset });
    expect((await metrics.findAll()).map((m) => m.cpuPercent)).toEqual([10, 20, 30]);
    expect((await metrics.findInRange(T + 10, T + 30)).map((m) => m.cpuPercent)).toEqual([10, 20]);
    expect((await metrics.findInRange(T, T + 100, { limit: 1, offset: 1 })).map((m) => m.cpuPercent)).toEqual([20]);
    expect((await metrics.latest())?.cpuPercent).toBe(30);
  });

  it('deletes samples older than the retention, and refuses a negative one', async () => {
    for (const age of [0, 59_999, 60_000, 60_001, 3_600_000]) await metrics.record({ collectedAt: T - age, activeSessions: age });
    expect(await metrics.deleteOlderThan(60_000)).toBe(2);
    expect((await metrics.findAll()).map((m) => m.activeSessions)).toEqual([60_000, 59_999, 0]);
    expect(await metrics.deleteOlderThan(0, T + 1)).toBe(3);
    await expect(metrics.deleteOlderThan(-1)).rejects.toMatchObject({ code: 'E1009' });
    expect(await metrics.delete(12345)).toBe(false);
  });

  it('refuses an invalid sample with E1008', async () => {
    await expect(metrics.record({ cpuPercent: -1 })).rejects.toMatchObject({ code: 'E1008' });
    await expect(metrics.record({ memoryUsedBytes: 1.5 })).rejects.toMatchObject({ code: 'E1008' });
    expect(await metrics.findAll()).toEqual([]);
  });
});
