import type { Command } from 'commander';
import { KERNEL_API_VERSION } from '../../core/version';
import { loadCliContext, openRegistry, type GlobalOptions } from '../cli-context';
import { readLiveStatus } from '../kernel-status-file';
import { printJson, type CliIo } from '../output';

export function registerStatusCommand(program: Command, io: CliIo, version: string): void {
  program
    .command('status')
    .description('show whether a kernel is running, where its data lives, and how many plugins are in each state')
    .option('--json', 'print the status as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config, configPath } = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const live = await readLiveStatus(config.dataDir);
      // A running kernel knows the real states (running, quarantined…); otherwise show what would load.
      const plugins = live?.plugins ?? (await openRegistry(config)).list().map((r) => ({ name: r.name, version: r.version, state: r.state }));
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
        database: config.database.url ? 'postgresql' : 'sqlite',
        plugins: { total: plugins.length, ...counts },
      };
      if (options.json) return printJson(io, status);
      io.out(
        [
          `rimuru-kernel ${version} (plugin API ${KERNEL_API_VERSION})`,
          live ? `kernel:   running (pid ${live.pid}, since ${live.startedAt})` : 'kernel:   not running (start it with `rimuru-kernel run`)',
          `data:     ${config.dataDir}`,
          `plugins:  ${config.plugins.dir} (user) — ${plugins.length} found: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}`,
          `config:   ${configPath ?? 'none found (defaults)'}`,
          `storage:  ${status.database}`,
        ].join('\n'),
      );
    });
}
