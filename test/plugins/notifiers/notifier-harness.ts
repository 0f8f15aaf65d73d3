/**
 * Notifier plugins run the way the kernel runs them: the real sandbox, permissions widened only
 * by `withConfiguredGrants` (the host of `config.url`), driven by a real NotificationService
 * whose delivery log is a real SQLite store.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { resolveConfig } from '../../../kernel/config';
import { HookBus, MemoryHookExecutionRecorder } from '../../../kernel/core/hooks';
import { parseManifest } from '../../../kernel/core/registry';
import { DeliveryLog, NotificationService, withConfiguredGrants, type NotifierHandle } from '../../../kernel/services/notifications';
import { openStore, type Database } from '../../../kernel/services/storage';
import { runPlugin, type PluginRun } from '@rimuru/sdk/testing';

const REPO = path.resolve(__dirname, '../../..');

export interface NotifierWorld {
  db: Database;
  bus: HookBus;
  recorder: MemoryHookExecutionRecorder;
  /** Every line the service logged, as text. */
  logText(): string;
  logger: Logger;
  start(plugin: string, config: Record<string, unknown>): Promise<{ run: PluginRun; handle: NotifierHandle }>;
  service(handles: NotifierHandle[], options?: { routes?: NotificationServiceRoutes; maxAttempts?: number; backoffMs?: number }): NotificationService;
}

type NotificationServiceRoutes = ConstructorParameters<typeof NotificationService>[0]['routes'];

export function useNotifierWorld(): NotifierWorld {
  let dir: string | undefined;
  let db: Database | undefined;
  const runs: PluginRun[] = [];
  const services: NotificationService[] = [];
  let lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const recorder = new MemoryHookExecutionRecorder();
  let bus = new HookBus({ recorder });

  beforeEach(async () => {
    dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'rimuru-notifiers-')));
    db = await openStore(resolveConfig({ dataDir: dir }, { cwd: dir, env: {}, homeDir: dir }));
    lines = [];
    recorder.clear();
    bus = new HookBus({ recorder });
  });
  afterEach(async () => {
    for (const service of services.splice(0)) await service.drain(0);
    for (const run of runs.splice(0)) await run.dispose();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get db() {
      return db as Database;
    },
    get bus() {
      return bus;
    },
    recorder,
    logger,
    logText: () => lines.join('') + runs.flatMap((run) => run.logs.map((log) => JSON.stringify(log))).join('\n'),
    async start(plugin, config) {
      const pluginDir = path.join(REPO, 'plugins', plugin);
      const file = path.join(pluginDir, 'package.json');
      const manifest = parseManifest(JSON.parse(readFileSync(file, 'utf8')), file);
      const { permissions } = withConfiguredGrants(manifest, { config, permissions: manifest.rimuru.permissions ?? {} });
      const run = await runPlugin({ pluginDir, config, permissions });
      runs.push(run);
      const handle: NotifierHandle = {
        plugin: manifest.name,
        names: (manifest.rimuru.contributes?.notifiers ?? []).map((n) => n.name),
        config,
        sandbox: () => (run.plugin.disposed ? undefined : { invoke: <T>(method: string, args: unknown[] = []) => run.plugin.invoke<T>(method, ...args) }),
      };
      return { run, handle };
    },
    service(handles, options = {}) {
      const service = new NotificationService({
        hookBus: bus,
        notifiers: () => handles,
        deliveryLog: new DeliveryLog((db as Database).knex),
        routes: options.routes ?? [],
        delivery: { maxAttempts: options.maxAttempts ?? 3, backoffMs: options.backoffMs ?? 5, maxBackoffMs: 50, drainTimeoutMs: 5_000 },
        logger,
      });
      services.push(service);
      return service;
    },
  };
}
