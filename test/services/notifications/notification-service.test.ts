import pino from 'pino';
import { HookBus, MemoryHookExecutionRecorder } from '../../../kernel/core/hooks';
import { DeliveryLog, NotificationService, redact, secretsOf, withConfiguredGrants, type NotifierHandle } from '../../../kernel/services/notifications';
import type { Database } from '../../../kernel/services/storage';
import type { PluginManifest } from '../../../kernel/core/registry/manifest-schema';
import type { DeliveryResult, Notification } from '../../../sdk/src/kinds/notifier';
import { describeBackends } from '../storage/backends';

const quiet = pino({ level: 'silent' });
const note = (source: string, level: Notification['level']): Notification => ({ title: `${source} ${level}`, message: 'm', level, source, timestamp: '2026-03-04T12:00:00.000Z' });

/** A notifier whose sandbox answers from a function and records what it was sent (host-side stand-in; the real plugins are tested in test/plugins/notifiers). */
function notifier(name: string, config: Record<string, unknown>, answer: (n: Notification) => DeliveryResult | Promise<DeliveryResult> = () => ({ ok: true, status: 200 })) {
  const sent: Notification[] = [];
  const handle: NotifierHandle = {
    plugin: `@rimuru/notifier-${name}`,
    names: [name],
    config,
    sandbox: () => ({
      invoke: async <T>(method: string, args: unknown[] = []): Promise<T> => {
        if (method !== 'send') return { ok: true } as T;
        sent.push(args[0] as Notification);
        return (await answer(args[0] as Notification)) as T;
      },
    }),
  };
  return { handle, sent };
}

describeBackends('NotificationService', (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(() => backend.reset());

  function service(handles: NotifierHandle[], routes: ConstructorParameters<typeof NotificationService>[0]['routes'], bus = new HookBus()) {
    return new NotificationService({ hookBus: bus, notifiers: () => handles, deliveryLog: new DeliveryLog(db.knex), routes, delivery: { maxAttempts: 3, backoffMs: 1, maxBackoffMs: 2, drainTimeoutMs: 1000 }, logger: quiet });
  }

  it('routes by source and level; without routes, to every notifier with a url', async () => {
    const slack = notifier('slack', { url: 'https://hooks.slack.com/services/x' });
    const discord = notifier('discord', { url: 'https://discord.com/api/webhooks/1/t' });
    const unset = notifier('webhook', {});
    const routed = service([slack.handle, discord.handle, unset.handle], [
      { events: ['CostThreshold'], notifiers: ['slack'], levels: ['critical'] },
      { events: ['*'], notifiers: ['@rimuru/notifier-discord'] },
    ]);
    await routed.notify(note('CostThreshold', 'warning'));
    await routed.notify(note('CostThreshold', 'critical'));
    await routed.notify(note('SessionEnd', 'info'));
    expect(slack.sent.map((n) => n.title)).toEqual(['CostThreshold critical']);
    expect(discord.sent.map((n) => n.title)).toEqual(['CostThreshold warning', 'CostThreshold critical', 'SessionEnd info']);
    expect(unset.sent).toEqual([]);

    const open = service([slack.handle, unset.handle], []);
    await open.notify(note('X', 'info'));
    expect(slack.sent).toHaveLength(2);
    expect(unset.sent).toEqual([]);
  });

  it('logs every delivery in the store, newest first, with attempts and the last error', async () => {
    let calls = 0;
    const flaky = notifier('webhook', { url: 'https://example.test/h' }, () => (++calls < 3 ? { ok: false, status: 502, error: 'HTTP 502' } : { ok: true, status: 204 }));
    const refused = notifier('slack', { url: 'https://hooks.slack.com/services/T/B/secretpart' }, () => ({ ok: false, status: 404, error: 'no_service https://hooks.slack.com/services/T/B/secretpart' }));
    const s = service([flaky.handle, refused.handle], []);
    await s.notify(note('CostThreshold', 'warning'));
    const log = await new DeliveryLog(db.knex).recent(10);
    expect(log.map((d) => [d.notifier, d.status, d.httpStatus, d.attempts, d.error?.message ?? null]).sort()).toEqual([
      ['@rimuru/notifier-slack', 'failed', 404, 1, 'no_service [redacted]'],
      ['@rimuru/notifier-webhook', 'delivered', 204, 3, null],
    ]);
  });

  it('takes notifications from custom:notify; a malformed one is a recorded handler error, not a delivery', async () => {
    const recorder = new MemoryHookExecutionRecorder();
    const bus = new HookBus({ recorder });
    const slack = notifier('slack', { url: 'https://hooks.slack.com/x' });
    const s = service([slack.handle], [], bus);
    s.start();
    await bus.emitSeries('custom:notify', note('CostThreshold', 'critical'));
    await bus.emitSeries('custom:notify', { title: '', level: 'loud' });
    await s.idle();
    expect(slack.sent).toHaveLength(1);
    expect(recorder.recent().map((e) => [e.result, e.error?.code ?? null])).toEqual([
      ['continue', null],
      ['error', 'E5002'],
    ]);
    expect(recorder.recent()[1]?.error?.message).toMatch(/host handler "notifications:route" failed: not a notification: title: .*; level: /);
  });

  it('drain waits a bounded time, then cuts retries short and logs them as failed', async () => {
    const down = notifier('webhook', { url: 'https://example.test/h' }, () => ({ ok: false, error: 'no answer' }));
    const s = new NotificationService({
      hookBus: new HookBus(),
      notifiers: () => [down.handle],
      deliveryLog: new DeliveryLog(db.knex),
      routes: [],
      delivery: { maxAttempts: 5, backoffMs: 60_000, maxBackoffMs: 60_000, drainTimeoutMs: 10 },
      logger: quiet,
    });
    const pending = s.notify(note('CostThreshold', 'critical'));
    await s.drain();
    const [record] = await pending;
    expect(record).toEqual(expect.objectContaining({ status: 'failed', attempts: 1, error: { code: 'E5103', message: 'the kernel shut down before try 2' } }));
  });
});

describe('configured grants and redaction', () => {
  const manifest = (kind: string): PluginManifest => ({ name: 'p', version: '1.0.0', main: 'dist/plugin.js', engines: { rimuru: '^1.0.0' }, rimuru: { kind } }) as unknown as PluginManifest;

  it('grants the host of config.url and config.dir to notifier and hook plugins only', () => {
    const config = { url: 'https://hooks.slack.com:8443/services/T/B/x?y=1', dir: '~/logs' };
    expect(withConfiguredGrants(manifest('notifier'), { config, permissions: { net: ['a.test'] } }).permissions).toEqual({
      net: ['a.test', 'hooks.slack.com:8443'],
      'fs.read': ['~/logs'],
      'fs.write': ['~/logs'],
    });
    expect(withConfiguredGrants(manifest('exporter'), { config, permissions: {} }).permissions).toEqual({});
    for (const url of ['ftp://x.test/a', 'not a url', 'https://user:pw@x.test/', 42]) {
      expect(withConfiguredGrants(manifest('notifier'), { config: { url }, permissions: {} }).permissions).toEqual({});
    }
  });

  it('cuts secrets and URL paths out of text', () => {
    const secrets = secretsOf({ url: 'https://discord.com/api/webhooks/1/tok', secret: 'shh-1234', headers: { Authorization: 'Bearer abcd' }, roleId: '99' });
    expect(redact('posting to https://discord.com/api/webhooks/1/tok failed; sig shh-1234; Bearer abcd; path /api/webhooks/1/tok; role 99', secrets)).toBe(
      'posting to [redacted] failed; sig [redacted]; [redacted]; path [redacted]; role 99',
    );
    expect(redact('see http://127.0.0.1:9/other/path?q=1 now', [])).toBe('see http://127.0.0.1:9/[redacted] now');
  });
});
