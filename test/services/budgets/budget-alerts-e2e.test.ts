/**
 * The whole path on a booted kernel: Claude Code logs ingested in steps → the budgets service
 * sees the daily spend cross 80% then 100% → CostThreshold → hook-cost-alert → custom:notify →
 * notifier-webhook → a real receiver on 127.0.0.1. Exactly one alert per threshold per day,
 * also after a second ingest of the same data and after a restart.
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../../kernel/config';
import { Kernel } from '../../../kernel/core/lifecycle';
import { createLogger } from '../../../kernel/core/logging';
import { DeliveryLog } from '../../../kernel/services/notifications';
import { openStore, type Database } from '../../../kernel/services/storage';
import { installAdapters } from '../../plugins/booted-kernel';
import { startReceiver, type Receiver } from '../../plugins/notifiers/http-receiver';

const NOW = Date.parse('2026-03-04T12:00:00.000Z');
const SECRET = 'e2e-hmac-secret';
const PLUGINS = ['adapter-claude-code', 'hook-cost-alert', 'notifier-webhook'];

describe('budget alerts end to end (booted kernel, real receiver)', () => {
  let dir: string;
  let receiver: Receiver;
  let database: Database | undefined;
  let calls = 0;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'rimuru-budget-e2e-')));
    await installAdapters(path.join(dir, 'plugins'), PLUGINS);
  });
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await database?.close();
    database = undefined;
    await receiver.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const transcript = (): string => path.join(dir, 'claude', 'projects', '-work-p', 'sess-1.jsonl');

  /** Appends one assistant response that reports its own cost. */
  function spend(costUsd: number): void {
    calls += 1;
    const line = {
      type: 'assistant',
      sessionId: 'sess-1',
      cwd: '/work/p',
      uuid: `u-${calls}`,
      timestamp: new Date(NOW - 3_600_000 + calls * 1000).toISOString(),
      requestId: `req_${calls}`,
      message: { id: `msg_${calls}`, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 5 } },
      costUSD: costUsd,
    };
    mkdirSync(path.dirname(transcript()), { recursive: true });
    appendFileSync(transcript(), `${JSON.stringify(line)}\n`);
  }

  async function boot(): Promise<Kernel> {
    const config = resolveConfig(
      {
        dataDir: path.join(dir, 'data'),
        plugins: {
          dir: path.join(dir, 'user-plugins'),
          config: { '@rimuru/notifier-webhook': { url: `${receiver.origin}/alerts`, secret: SECRET } },
        },
        budgets: { daily: 10, timeZone: 'UTC' },
        hooks: { routes: [{ events: ['CostThreshold'], notifiers: ['webhook'], levels: ['warning', 'critical'] }] },
      },
      { cwd: dir, env: {}, homeDir: dir },
    );
    database ??= await openStore(config);
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    return Kernel.boot({
      config,
      logger: createLogger({ level: 'warn', pretty: false, destination: quiet }),
      builtinPluginDir: path.join(dir, 'plugins'),
      env: { CLAUDE_CONFIG_DIR: path.join(dir, 'claude') },
      homeDir: dir,
      database,
      clock: { now: () => NOW },
    });
  }

  /** Ingests, then waits for the budgets and every delivery they caused. */
  async function ingest(kernel: Kernel): Promise<void> {
    const summary = await kernel.ingest();
    expect(summary.errors).toEqual([]);
    await kernel.budgets?.idle();
    await kernel.notifications?.idle();
  }

  function alerts(): Array<{ level: string; title: string; fields: Record<string, unknown> }> {
    return receiver.requests.map((request) => {
      expect(request.headers['x-rimuru-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
      return (JSON.parse(request.body) as { notification: { level: string; title: string; fields: Record<string, unknown> } }).notification;
    });
  }

  it('one alert per threshold per day through ingested records, none again after a re-ingest or a restart', async () => {
    const kernel = await boot();
    try {
      expect(kernel.registry.list().map((p) => [p.name, p.state])).toEqual(
        expect.arrayContaining([
          ['@rimuru/hook-cost-alert', 'running'],
          ['@rimuru/notifier-webhook', 'running'],
          ['@rimuru/adapter-claude-code', 'running'],
        ]),
      );
      spend(5);
      await ingest(kernel);
      expect(alerts()).toEqual([]);

      spend(3.5); // 85%
      await ingest(kernel);
      expect(alerts()).toEqual([
        expect.objectContaining({ level: 'warning', title: 'Daily budget at 80% (2026-03-04)', fields: expect.objectContaining({ spentUsd: 8.5, limitUsd: 10, threshold: 0.8 }) }),
      ]);

      spend(0.2); // 87%: no new threshold
      await ingest(kernel);
      await ingest(kernel);
      expect(alerts()).toHaveLength(1);

      spend(2); // 107%
      await ingest(kernel);
      expect(alerts().map((a) => [a.level, a.title])).toEqual([
        ['warning', 'Daily budget at 80% (2026-03-04)'],
        ['critical', 'Daily budget reached 100% (2026-03-04)'],
      ]);
    } finally {
      await kernel.shutdown('step done');
    }

    // A restart evaluates at boot and ingests again: the store says both went out already.
    const again = await boot();
    try {
      spend(1);
      await ingest(again);
    } finally {
      await again.shutdown('test over');
    }
    expect(alerts()).toHaveLength(2);
    const deliveries = await new DeliveryLog((database as Database).knex).recent(10);
    expect(deliveries.map((d) => [d.notifier, d.event, d.level, d.status, d.attempts])).toEqual([
      ['@rimuru/notifier-webhook', 'CostThreshold', 'critical', 'delivered', 1],
      ['@rimuru/notifier-webhook', 'CostThreshold', 'warning', 'delivered', 1],
    ]);
    const executions = (await (database as Database).knex('hook_executions').where({ hook: 'CostThreshold' }).select('owner', 'result')) as Array<{ owner: string; result: string }>;
    expect(executions).toEqual([
      { owner: '@rimuru/hook-cost-alert', result: 'continue' },
      { owner: '@rimuru/hook-cost-alert', result: 'continue' },
    ]);
  });
});
