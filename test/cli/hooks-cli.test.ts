import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startReceiver, type Receiver } from '../plugins/notifiers/http-receiver';
import { runCli } from './cli-process';

/**
 * `hooks list|types|trigger|log`, `notify test` and `budgets status` as a user runs them: the
 * built bin in a child process over a temp data dir and the built-in plugins, with a real
 * receiver on 127.0.0.1 behind notifier-webhook.
 */

const TOKEN = 'tok-SECRET-abc123';
const SECRET = 'cli-hmac-secret';
let tmp: string;
let env: NodeJS.ProcessEnv;
let receiver: Receiver;

async function writeConfig(extra: Record<string, unknown> = {}): Promise<string> {
  const file = path.join(tmp, 'rimuru.config.json');
  const config = {
    plugins: { config: { '@rimuru/notifier-webhook': { url: `${receiver.origin}/hooks/${TOKEN}`, secret: SECRET } } },
    hooks: { routes: [{ events: ['CostThreshold', 'test'], notifiers: ['webhook'] }] },
    ...extra,
  };
  await fs.writeFile(file, JSON.stringify(config));
  return file;
}

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rimuru-hooks-cli-'));
  env = { PATH: process.env.PATH, HOME: tmp, RIMURU_DATA_DIR: path.join(tmp, 'data'), RIMURU_LOG_LEVEL: 'warn' };
  receiver = await startReceiver();
});
afterEach(async () => {
  await receiver.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const cli = async (...args: string[]) => runCli(['--config', await writeConfig(), ...args], env, tmp);

describe('rimuru-kernel hooks / notify / budgets', () => {
  it('hooks types lists every built-in hook with its payload fields', async () => {
    const result = await cli('hooks', 'types', '--json');
    expect(result.code).toBe(0);
    const { hooks } = JSON.parse(result.stdout) as { hooks: Array<{ hook: string; fields: Array<{ name: string; type: string; optional: boolean }> }> };
    expect(hooks.map((h) => h.hook)).toContain('MetricsExport');
    expect(hooks.find((h) => h.hook === 'CostThreshold')?.fields).toEqual([
      { name: 'budget', type: 'string', optional: false },
      { name: 'period', type: 'string', optional: false },
      { name: 'limitUsd', type: 'number', optional: false },
      { name: 'spentUsd', type: 'number', optional: false },
      { name: 'threshold', type: 'number', optional: false },
      { name: 'projectedUsd', type: 'number', optional: true },
    ]);
    const table = await cli('hooks', 'types');
    expect(table.stdout).toMatch(/CostThreshold\s+budget: string, period: string/);
  });

  it('hooks list shows declared handlers from manifests and the kernel’s own', async () => {
    const result = await runCli(['--config', await writeConfig({ budgets: { daily: 5 } }), 'hooks', 'list', '--json'], env, tmp);
    expect(result.code).toBe(0);
    const { handlers } = JSON.parse(result.stdout) as { handlers: Array<{ hook: string; owner: string }> };
    const pairs = handlers.map((h) => `${h.hook} ${h.owner}`);
    expect(pairs).toEqual(
      expect.arrayContaining([
        'CostThreshold @rimuru/hook-cost-alert',
        'SessionStart @rimuru/hook-session-log',
        'MetricsExport @rimuru/hook-metrics-export',
        'CostRecorded host (budgets:cost-recorded)',
        'custom:notify host (notifications:route)',
      ]),
    );
  });

  it('hooks trigger CostThreshold reaches the receiver, and hooks log shows the execution and the delivery — without the secret', async () => {
    const data = JSON.stringify({ budget: 'daily', period: '2026-03-04', limitUsd: 10, spentUsd: 10.5, threshold: 1 });
    const triggered = await cli('hooks', 'trigger', 'CostThreshold', '--data', data, '--json');
    expect(triggered.stderr).toBe('');
    expect(triggered.code).toBe(0);
    const { executions } = JSON.parse(triggered.stdout) as { executions: Array<{ owner: string; result: string }> };
    expect(executions.map((e) => [e.owner, e.result])).toEqual(expect.arrayContaining([['@rimuru/hook-cost-alert', 'continue']]));
    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.path).toBe(`/hooks/${TOKEN}`);
    expect(request.headers['x-rimuru-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
    expect(JSON.parse(request.body)).toEqual(expect.objectContaining({ notification: expect.objectContaining({ level: 'critical', title: 'Daily budget reached 100% (2026-03-04)' }) }));

    const log = await cli('hooks', 'log', '--json', '--limit', '50');
    expect(log.code).toBe(0);
    const parsed = JSON.parse(log.stdout) as { executions: Array<{ hook: string; owner: string; result: string }>; deliveries: Array<Record<string, unknown>> };
    expect(parsed.executions).toEqual(expect.arrayContaining([expect.objectContaining({ hook: 'CostThreshold', owner: '@rimuru/hook-cost-alert', result: 'continue' })]));
    expect(parsed.deliveries).toEqual([expect.objectContaining({ notifier: '@rimuru/notifier-webhook', event: 'CostThreshold', level: 'critical', status: 'delivered', attempts: 1, httpStatus: 200 })]);
    const table = await cli('hooks', 'log');
    expect(table.stdout).toContain('deliveries (newest first)');
    for (const output of [triggered.stdout, log.stdout, table.stdout]) {
      expect(output).not.toContain(TOKEN);
      expect(output).not.toContain(SECRET);
    }
  });

  it('hooks trigger refuses bad JSON, a payload that is not the hook’s, and an unknown hook (exit 2)', async () => {
    for (const args of [
      ['CostThreshold', '--data', '{bad'],
      ['CostThreshold', '--data', '{"budget":"daily"}'],
      ['Nope', '--data', '{}'],
    ]) {
      const result = await cli('hooks', 'trigger', ...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(/E6001/);
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('notify test posts a test body (exit 0); a failing destination exits 1 with no secret in any output; an unknown notifier is E5101', async () => {
    const ok = await cli('notify', 'test', 'webhook');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/@rimuru\/notifier-webhook: ok \(HTTP 200\)/);
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ type: 'test', timestamp: expect.any(Number) });

    receiver.script([], { status: 403, body: `forbidden /hooks/${TOKEN}` });
    const failed = await cli('notify', 'test', '@rimuru/notifier-webhook', '--json');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toEqual(expect.objectContaining({ status: 'failed', httpStatus: 403, attempts: 1 }));
    const unknown = await cli('notify', 'test', 'pager');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/E5101 No notifier named "pager"/);
    const info = await cli('plugin', 'info', '@rimuru/notifier-webhook', '--json');
    expect(info.code).toBe(0);
    for (const output of [failed.stdout, failed.stderr, unknown.stderr, info.stdout]) {
      expect(output).not.toContain(TOKEN);
      expect(output).not.toContain(SECRET);
    }
  });

  it('budgets status prints each budget; a mistyped budget is a config error (exit 78)', async () => {
    const none = await cli('budgets', 'status', '--no-ingest');
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no budgets configured/);
    const file = await writeConfig({ budgets: { daily: 10, perAgent: { codex: { monthly: 50 } }, timeZone: 'UTC' } });
    const status = await runCli(['--config', file, 'budgets', 'status', '--json'], env, tmp);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { timeZone: string; thresholds: number[]; budgets: Array<Record<string, unknown>> };
    expect(parsed.timeZone).toBe('UTC');
    expect(parsed.thresholds).toEqual([0.8, 1]);
    expect(parsed.budgets.map((b) => [b.budget, b.limitUsd, b.spentUsd, b.fired])).toEqual([
      ['daily', 10, 0, []],
      ['agent:codex:monthly', 50, 0, []],
    ]);
    const bad = await runCli(['--config', await writeConfig({ budgets: { dialy: 10 } }), 'budgets', 'status'], env, tmp);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/E4001 config: budgets\.dialy: unknown key/);
  });
});
