import type { Command } from 'commander';
import { KERNEL_API_VERSION } from '../../core/version';
import { loadCliContext, openRegistry, withStore, type GlobalOptions } from '../cli-context';
import { ExitCode } from '../exit-codes';
import { readLiveStatus } from '../kernel-status-file';
import { printJson, type CliIo } from '../output';
import { formatStorageLine, storageReport } from '../storage-report';

export function registerStatusCommand(program: Command, io: CliIo, version: string): void {
  program
    .command('status')
    .description('show whether a kernel is running, where its data lives, the store and its health, and plugins per state (exit 1 when the store is unreachable)')
    .option('--json', 'print the status as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const { config, configPath } = context;
      const storage = await storageReport(context);
      const live = await readLiveStatus(config.dataDir);
      // A running kernel knows the real states (running, quarantined…); otherwise show what would load.
      const plugins =
        live?.plugins ??
        (storage.ok
          ? (await withStore(context, (database) => openRegistry(config, database))).list().map((r) => ({ name: r.name, version: r.version, state: r.state }))
          : []);
      const counts: Record<string, number> = {};
      for (const plugin of plugins) counts[plugin.state] = (counts[plugin.state] ?? 0) + 1;
      const status = {
        version,
        apiVersion: KERNEL_API_VERSION,
        running: live !== null,
        pid: live?.pid ?? null,
        startedAt: live?.startedAt ?? null,
        dataDir: config.dataDir,
        pluginDir: config.plugins.dir,
        configFile: configPath ?? null,
        database: storage.dialect,
        storage,
        plugins: { total: plugins.length, ...counts },
      };
      if (options.json) printJson(io, status);
      else {
        io.out(
          [
            `rimuru-kernel ${version} (plugin API ${KERNEL_API_VERSION})`,
            live ? `kernel:   running (pid ${live.pid}, since ${live.startedAt})` : 'kernel:   not running (start it with `rimuru-kernel run`)',
            `data:     ${config.dataDir}`,
            `storage:  ${formatStorageLine(storage)}`,
            storage.ok || live
              ? `plugins:  ${config.plugins.dir} (user) — ${plugins.length} found: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}`
              : `plugins:  ${config.plugins.dir} (user) — states unknown while the store is unreachable`,
            `config:   ${configPath ?? 'none found (defaults)'}`,
          ].join('\n'),
        );
      }
      if (!storage.ok) process.exitCode = ExitCode.FAILURE;
    });
}
