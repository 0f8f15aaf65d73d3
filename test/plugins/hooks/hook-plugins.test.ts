import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runPlugin, type PluginRun } from '@rimuru/sdk/testing';
import { parseManifest } from '../../../kernel/core/registry';
import { withConfiguredGrants } from '../../../kernel/services/notifications';
import { startReceiver, type Receiver } from '../notifiers/http-receiver';

const PLUGINS = path.resolve(__dirname, '../../../plugins');
const runs: PluginRun[] = [];
const dirs: string[] = [];

/** Runs a hook plugin with the permissions the kernel would give it for `config`. */
async function start(plugin: string, config: Record<string, unknown>): Promise<PluginRun> {
  const file = path.join(PLUGINS, plugin, 'package.json');
  const manifest = parseManifest(JSON.parse(readFileSync(file, 'utf8')), file);
  const { permissions } = withConfiguredGrants(manifest, { config, permissions: manifest.rimuru.permissions ?? {} });
  const run = await runPlugin({ pluginDir: path.dirname(file), config, permissions });
  runs.push(run);
  return run;
}

function scratch(): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'rimuru-hooks-')));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const run of runs.splice(0)) await run.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('hook-cost-alert', () => {
  it('turns CostThreshold into a notify: warning below the budget, critical at it', async () => {
    const run = await start('hook-cost-alert', {});
    expect(await run.plugin.hook('CostThreshold', { budget: 'daily', period: '2026-03-04', limitUsd: 10, spentUsd: 8.5, threshold: 0.8, projectedUsd: 17 })).toEqual({ type: 'continue' });
    await run.plugin.hook('CostThreshold', { budget: 'agent:codex:monthly', period: '2026-03', limitUsd: 50, spentUsd: 51.234, threshold: 1 });
    expect(run.emitted).toEqual([
      {
        hook: 'custom:notify',
        payload: {
          title: 'Daily budget at 80% (2026-03-04)',
          message: '$8.50 of $10.00 spent (85%) in 2026-03-04. At this rate it ends at $17.00.',
          level: 'warning',
          source: 'CostThreshold',
          fields: { budget: 'daily', period: '2026-03-04', spentUsd: 8.5, limitUsd: 10, threshold: 0.8, projectedUsd: 17 },
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
      },
      {
        hook: 'custom:notify',
        payload: expect.objectContaining({ title: 'Monthly budget of codex reached 100% (2026-03)', level: 'critical', message: '$51.23 of $50.00 spent (102%) in 2026-03.' }),
      },
    ]);
  });

  it('criticalAt moves the critical level', async () => {
    const run = await start('hook-cost-alert', { criticalAt: 0.8 });
    await run.plugin.hook('CostThreshold', { budget: 'weekly', period: '2026-03-02', limitUsd: 10, spentUsd: 8, threshold: 0.8 });
    expect(run.emitted[0]?.payload).toEqual(expect.objectContaining({ level: 'critical', title: 'Weekly budget at 80% (2026-03-02)' }));
  });
});

describe('hook-session-log', () => {
  const start1 = { sessionId: 's1', agentType: 'codex', projectPath: '/p', startedAt: '2026-03-04T10:00:00.000Z' };
  const end1 = { sessionId: 's1', agentType: 'codex', endedAt: '2026-03-04T11:00:00.000Z', status: 'completed', costUsd: 1.5 };

  it('appends one JSON line per start and end to the day file in the granted dir', async () => {
    const dir = path.join(scratch(), 'session-log');
    const run = await start('hook-session-log', { dir });
    expect(await run.plugin.hook('SessionStart', start1)).toEqual({ type: 'continue' });
    await run.plugin.hook('SessionEnd', end1);
    const files = readdirSync(dir);
    expect(files).toEqual([expect.stringMatching(/^sessions-\d{4}-\d\d-\d\d\.jsonl$/)]);
    const lines = readFileSync(path.join(dir, files[0] as string), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      { event: 'SessionStart', loggedAt: expect.any(String), ...start1 },
      { event: 'SessionEnd', loggedAt: expect.any(String), ...end1 },
    ]);
  });

  it('rolls over to .1, .2 … when a file would pass maxBytes', async () => {
    const dir = scratch();
    const run = await start('hook-session-log', { dir, maxBytes: 400 });
    for (let i = 0; i < 5; i++) await run.plugin.hook('SessionStart', { ...start1, sessionId: `s${i}` });
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(3);
    expect(files.map((file) => file.replace(/\d{4}-\d\d-\d\d/, 'DAY'))).toEqual(['sessions-DAY.1.jsonl', 'sessions-DAY.2.jsonl', 'sessions-DAY.jsonl']);
    const all = files.flatMap((file) => readFileSync(path.join(dir, file), 'utf8').trim().split('\n'));
    expect(all).toHaveLength(5);
    for (const file of files) expect(readFileSync(path.join(dir, file)).length).toBeLessThanOrEqual(400);
  });

  it('skips without a dir, and cannot write outside the granted one', async () => {
    const idle = await start('hook-session-log', {});
    expect(await idle.plugin.hook('SessionStart', start1)).toEqual({ type: 'skip' });
    const dir = scratch();
    const file = path.join(PLUGINS, 'hook-session-log', 'package.json');
    const wrong = await runPlugin({ pluginDir: path.dirname(file), config: { dir: path.join(dir, 'other') }, permissions: { 'fs.read': [path.join(dir, 'granted')], 'fs.write': [path.join(dir, 'granted')] } });
    runs.push(wrong);
    await expect(wrong.plugin.hook('SessionStart', start1)).rejects.toMatchObject({ code: 'E2004' });
  });
});

describe('hook-webhook and hook-metrics-export', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());

  it('hook-webhook posts the selected events only', async () => {
    const run = await start('hook-webhook', { url: `${receiver.origin}/events`, events: ['SessionEnd'], headers: { 'x-key': 'k' } });
    expect(await run.plugin.hook('CostThreshold', { budget: 'daily', period: 'p', limitUsd: 1, spentUsd: 1, threshold: 1 })).toEqual({ type: 'skip' });
    const end = { sessionId: 's', agentType: 'codex', endedAt: '2026-03-04T11:00:00.000Z', status: 'completed' };
    expect(await run.plugin.hook('SessionEnd', end)).toEqual({ type: 'continue' });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toEqual(expect.objectContaining({ method: 'POST', path: '/events' }));
    expect(receiver.requests[0]?.headers['x-key']).toBe('k');
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ event: 'SessionEnd', payload: end, sentAt: expect.any(String) });
  });

  it('hook-webhook defaults to CostThreshold and fails the hook on an error status (recorded by the bus)', async () => {
    receiver.script([502]);
    const run = await start('hook-webhook', { url: receiver.origin });
    await expect(run.plugin.hook('CostThreshold', { budget: 'daily', period: 'p', limitUsd: 1, spentUsd: 1, threshold: 1 })).rejects.toMatchObject({
      code: 'E2006',
      message: expect.stringMatching(/posting CostThreshold failed: HTTP 502$/),
    });
  });

  it('hook-metrics-export writes a Prometheus text file and posts the JSON', async () => {
    const dir = scratch();
    const run = await start('hook-metrics-export', { dir, url: `${receiver.origin}/m` });
    const payload = { collectedAt: '2026-03-04T12:00:00.000Z', metrics: { cost_usd_today: 4.5, 'active sessions': 2 } };
    expect(await run.plugin.hook('MetricsExport', payload)).toEqual({ type: 'continue' });
    const at = Date.parse(payload.collectedAt);
    expect(readFileSync(path.join(dir, 'rimuru.prom'), 'utf8')).toBe(
      `# TYPE rimuru_active_sessions gauge\nrimuru_active_sessions 2 ${at}\n# TYPE rimuru_cost_usd_today gauge\nrimuru_cost_usd_today 4.5 ${at}\n`,
    );
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual(payload);
  });
});
