import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { startCli } from '../cli/cli-process';
import { createReportSandbox, type ReportSandbox } from '../cli/reports/report-cli';
import { seedStore } from '../cli/reports/report-store';

/**
 * `/metrics` and `/health` of a real `rimuru-kernel run` (the bin, as a user starts it) on a
 * free port, fetched over HTTP and read as the Prometheus text format.
 */

interface Scrape {
  types: Map<string, string>;
  /** `name` or `name{label="value",…}` (labels as written) → value. */
  samples: Map<string, number>;
}

/** The Prometheus text exposition format, strictly: every sample line `name[{labels}] value`, every family typed before its samples. */
function parsePrometheus(text: string): Scrape {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus text line: ${JSON.stringify(line)}`);
    const name = sample[1] as string;
    const family = name.replace(/_(bucket|sum|count|total|created)$/, '');
    if (!types.has(name) && !types.has(family)) throw new Error(`sample ${name} before its # TYPE`);
    samples.set(`${name}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return { types, samples };
}

function freePortTaken(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('rimuru-kernel run serving /metrics and /health', () => {
  let box: ReportSandbox;
  const now = Date.now();
  const dayStart = new Date(now).setUTCHours(0, 0, 0, 0);
  const todayAt = (offsetMs: number) => new Date(Math.max(dayStart, now - offsetMs)).toISOString();

  beforeAll(async () => {
    box = await createReportSandbox();
    await seedStore(box.dataDir, {
      sessions: [
        { agent: 'codex', externalId: 'live-1', startedAt: todayAt(600_000), lastActivityAt: todayAt(60_000), status: 'active' },
        { agent: 'claude-code', externalId: 'live-2', startedAt: todayAt(600_000), lastActivityAt: todayAt(120_000), status: 'active' },
        { agent: 'codex', externalId: 'old', startedAt: '2026-01-01T10:00:00Z', endedAt: '2026-01-01T11:00:00Z', status: 'completed' },
      ],
      records: [
        { key: 'a', agent: 'codex', session: 'live-1', model: 'gpt-5', at: todayAt(60_000), input: 10, output: 5, cost: 1.25 },
        { key: 'b', agent: 'claude-code', session: 'live-2', model: 'claude-sonnet-4-5', at: todayAt(120_000), input: 10, output: 5, cost: 0.5 },
        { key: 'c', agent: 'codex', session: 'old', model: 'gpt-5', at: '2026-01-01T10:30:00Z', input: 10, output: 5, cost: 100 },
      ],
    });
  });
  afterAll(() => box.remove());

  function config(name: string, body: Record<string, unknown>): string {
    const file = path.join(box.home, name);
    writeFileSync(file, JSON.stringify({ sync: { intervalHours: 0 }, ...body }));
    return file;
  }

  it('answers /metrics in the Prometheus text format with the store, plugin, host and ingest figures; /health as JSON; records samples the metrics command lists', async () => {
    const file = config('serving.json', { server: { enabled: true, port: 0 }, metrics: { intervalSecs: 1 } });
    const kernel = await startCli(['-c', file, 'run', '--json'], box.env, box.home, /"event":"ready"/);
    try {
      const ready = JSON.parse(kernel.output().stdout.split('\n')[0] as string) as { server: string };
      expect(ready.server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const response = await fetch(`${ready.server}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const { types, samples } = parsePrometheus(await response.text());
      expect(samples.get('rimuru_sessions_active')).toBe(2);
      expect(samples.get('rimuru_cost_today_usd')).toBeCloseTo(1.75, 9);
      expect(samples.get('rimuru_plugins{state="running"}')).toBeGreaterThan(3);
      expect(samples.get('rimuru_plugins{state="errored"}')).toBe(0);
      expect(samples.get('rimuru_ingest_runs_total')).toBeGreaterThanOrEqual(1);
      expect(samples.has('rimuru_ingest_records_total{result="inserted"}')).toBe(true);
      expect(samples.get('rimuru_process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
      expect(samples.get('rimuru_system_memory_total_bytes')).toBeGreaterThan(0);
      expect(types.get('rimuru_sessions_active')).toBe('gauge');
      expect(types.get('rimuru_ingest_runs_total')).toBe('counter');
      expect(types.get('rimuru_nodejs_heap_size_used_bytes')).toBe('gauge');

      const health = await fetch(`${ready.server}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', pid: kernel.child.pid, store: { ok: true, dialect: 'sqlite' }, plugins: { running: expect.any(Number) } });

      expect((await fetch(`${ready.server}/nothing-here`)).status).toBe(404);
      const post = await fetch(`${ready.server}/metrics`, { method: 'POST' });
      expect({ status: post.status, allow: post.headers.get('allow') }).toEqual({ status: 405, allow: 'GET, HEAD' });

      // A sample at start and one a second later, then the metrics command (another process) lists them.
      for (;;) {
        const body = (await (await fetch(`${ready.server}/health`)).json()) as { metrics: { samples: number } };
        if (body.metrics.samples >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const listed = await box.json<{ report: string; intervalSecs: number; samples: Array<Record<string, unknown>> }>('-c', file, 'metrics', '--json');
      expect(listed.report).toBe('metrics');
      expect(listed.intervalSecs).toBe(1);
      expect(listed.samples.length).toBeGreaterThanOrEqual(2);
      expect(listed.samples[listed.samples.length - 1]).toMatchObject({ activeSessions: 2, memoryTotalBytes: expect.any(Number), cpuPercent: expect.any(Number) });
      const rescrape = parsePrometheus(await (await fetch(`${ready.server}/metrics`)).text());
      expect(rescrape.samples.get('rimuru_metrics_samples_total')).toBeGreaterThanOrEqual(2);
      expect(rescrape.samples.get('rimuru_system_cpu_percent')).toEqual(expect.any(Number));
    } finally {
      kernel.child.kill('SIGTERM');
    }
    const result = await kernel.exited;
    expect(result.code).toBe(0);
  });

  it('serves nothing unless server.enabled', async () => {
    const file = config('quiet.json', { metrics: { enabled: false } });
    const kernel = await startCli(['-c', file, 'run', '--json'], box.env, box.home, /"event":"ready"/);
    const ready = JSON.parse(kernel.output().stdout.split('\n')[0] as string) as { server: unknown };
    kernel.child.kill('SIGTERM');
    expect((await kernel.exited).code).toBe(0);
    expect(ready.server).toBeNull();
  });

  it('stops with E7101 (exit 1) when the port is taken', async () => {
    const taken = await freePortTaken();
    try {
      const file = config('taken.json', { server: { enabled: true, port: taken.port } });
      const result = await box.run('-c', file, 'run');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`E7101 cannot serve HTTP on 127.0.0.1:${taken.port}: EADDRINUSE`);
    } finally {
      taken.server.close();
    }
  });
});
