import { parseSince } from '../../kernel/cli/commands/metrics';
import { MetricsRepository } from '../../kernel/services/storage';
import { createReportSandbox, type ReportSandbox } from './reports/report-cli';
import { openDataDirStore } from './reports/report-store';

const MINUTE = 60_000;

describe('parseSince', () => {
  const now = Date.UTC(2026, 6, 1, 12, 0, 0);
  it.each([
    ['30m', now - 30 * MINUTE],
    ['6h', now - 6 * 60 * MINUTE],
    ['7d', now - 7 * 24 * 60 * MINUTE],
    ['2026-06-30', Date.UTC(2026, 5, 29, 22, 0, 0)],
    ['2026-07-01T09:00:00Z', Date.UTC(2026, 6, 1, 9, 0, 0)],
    ['2026-07-01T09:00:00+02:00', Date.UTC(2026, 6, 1, 7, 0, 0)],
  ])('reads %s', (value, expected) => expect(parseSince(value, now, 'Europe/Paris')).toBe(expected));

  it.each([['yesterday'], ['5w'], ['2026-02-30'], ['2026-07-01T09:00:00']])('refuses %s as a usage error naming the forms', (value) => {
    expect(() => parseSince(value, now, 'UTC')).toThrow(expect.objectContaining({ code: 'E6001', message: expect.stringContaining('use a span back from now (30m, 6h, 7d)') }));
  });
});

describe('rimuru-kernel metrics', () => {
  let box: ReportSandbox;
  const now = Date.now();

  beforeAll(async () => {
    box = await createReportSandbox();
    const database = await openDataDirStore(box.dataDir);
    try {
      const metrics = new MetricsRepository(database);
      // 30 samples a minute apart, the newest a minute ago.
      for (let i = 30; i >= 1; i--) {
        await metrics.record({ collectedAt: now - i * MINUTE, cpuPercent: i, memoryUsedBytes: 1_048_576 * i, memoryTotalBytes: 1_048_576 * 64, activeSessions: i % 3, extra: { processRssBytes: 1_048_576 * 100 } });
      }
    } finally {
      await database.close();
    }
  });
  afterAll(() => box.remove());

  it('lists the 20 newest samples, oldest first, as JSON', async () => {
    const report = await box.json<{ report: string; since: null; intervalSecs: number; retentionDays: number; samples: Array<{ collectedAt: string; cpuPercent: number }> }>('metrics', '--json');
    expect(report).toMatchObject({ report: 'metrics', since: null, intervalSecs: 60, retentionDays: 30 });
    expect(report.samples.map((sample) => sample.cpuPercent)).toEqual(Array.from({ length: 20 }, (_, index) => 20 - index));
    expect(report.samples[19]?.collectedAt).toBe(new Date(now - MINUTE).toISOString());
  });

  it('takes --since and --limit', async () => {
    // Half a minute before the tenth newest: a span (10m) would race the clock.
    const since = await box.json<{ samples: unknown[] }>('metrics', '--json', '--since', new Date(now - 10.5 * MINUTE).toISOString());
    expect(since.samples).toHaveLength(10);
    const limited = await box.json<{ samples: Array<{ cpuPercent: number }> }>('metrics', '--json', '--since', '1d', '--limit', '3');
    expect(limited.samples.map((sample) => sample.cpuPercent)).toEqual([3, 2, 1]);
  });

  it('prints a table with CPU, memory, active sessions and the kernel RSS', async () => {
    const result = await box.run('metrics', '--limit', '2', '--tz', 'UTC');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Time\s+CPU\s+Memory used\s+Memory total\s+Active sessions\s+Kernel RSS/);
    expect(result.stdout).toMatch(/1\.0 %\s+1 MB\s+64 MB\s+1\s+100 MB/);
    expect(result.stdout).toContain('2 samples, every 60 s, kept 30 days; times in UTC');
  });

  it('says how samples are made when there are none in the range', async () => {
    const result = await box.run('metrics', '--since', '2000-01-01T00:00:00Z', '--limit', '1');
    expect(result.code).toBe(0);
    const empty = await box.run('metrics', '--since', new Date(now + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'));
    expect(empty.stdout).toContain('no metrics samples in that range: `rimuru-kernel run` records one every 60 s');
  });

  it.each([[['metrics', '--since', 'soon']], [['metrics', '--limit', '0']], [['metrics', '--tz', 'Mars/Base']]])('refuses %j (exit 2)', async (args) => {
    const result = await box.run(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/E6001/);
  });
});
