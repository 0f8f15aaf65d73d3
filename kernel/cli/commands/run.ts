import type { Command } from 'commander';
import { Kernel } from '../../core/lifecycle';
import type { PluginRecord } from '../../core/registry';
import { Tokens } from '../../core/container';
import type { IngestRunSummary } from '../../services/ingestion';
import { SyncScheduler, SyncService } from '../../services/sync';
import { loadCliContext, type GlobalOptions } from '../cli-context';
import { ExitCode } from '../exit-codes';
import { pluginSummary, removeStatusFile, writeStatusFile } from '../kernel-status-file';
import type { CliIo } from '../output';
import { startMonitoring, type Monitoring } from '../../server';

/** Ctrl-C must end the process within this, even if a plugin or service hangs on the way out. */
const SHUTDOWN_DEADLINE_MS = 5_000;

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('boot the kernel, load every enabled plugin and keep running until Ctrl-C (SIGINT) or SIGTERM')
    .option('--json', 'print the ready and stop events as JSON lines instead of text')
    .action(async (options: { json?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const { config, configPath, logger } = await loadCliContext(globals);
      const startedAt = new Date();
      // Listen before booting: a Ctrl-C during boot, or right after the ready line, must still
      // shut down in order rather than kill the process.
      const stop = listenForStopSignal();
      let kernel: Kernel;
      try {
        kernel = await Kernel.boot({ config, logger });
      } catch (error) {
        stop.cancel(); // or the keep-alive timer holds a failed boot open forever
        throw error;
      }
      let unsubscribe = (): void => undefined;
      let syncSchedule: SyncScheduler | undefined;
      let monitoring: Monitoring | undefined;
      const shutDown = async (signal: NodeJS.Signals): Promise<void> => {
        const deadline = setTimeout(() => {
          io.err(`rimuru-kernel: shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting anyway`);
          process.exit(ExitCode.FAILURE);
        }, SHUTDOWN_DEADLINE_MS);
        deadline.unref();
        unsubscribe();
        await syncSchedule?.stop();
        await monitoring?.stop();
        await kernel.shutdown(signal);
        await removeStatusFile(config.dataDir);
        clearTimeout(deadline);
        if (options.json) io.out(JSON.stringify({ event: 'stopped', signal }));
        else io.out(`rimuru-kernel stopped (${signal})`);
      };

      // Ingest what is new before the ready line, so its counts describe a current store. A
      // Ctrl-C meanwhile stops the ingest at its next chunk (what was committed stays).
      const first = await Promise.race([kernel.ingest().then((ingested) => ({ ingested })), stop.signal.then((signal) => ({ signal }))]);
      if ('signal' in first) {
        await shutDown(first.signal);
        return;
      }
      const { ingested } = first;
      // System metrics every metrics.intervalSecs, and /metrics + /health when server.enabled.
      try {
        monitoring = await startMonitoring(kernel, config, logger, startedAt);
      } catch (error) {
        stop.cancel();
        await kernel.shutdown('the HTTP server could not start');
        throw error;
      }
      monitoring.observeIngest(ingested);
      // Then keep the store current: file events, and a rescan every ingest.rescanIntervalSecs.
      await kernel.watch((summary) => monitoring?.observeIngest(summary));
      // And the model prices: the sync providers every sync.intervalHours (0 = off), due times kept in the store.
      const syncService = new SyncService({ database: kernel.container.resolve(Tokens.Database), host: kernel, config: config.sync, logger });
      syncSchedule = new SyncScheduler({ service: syncService, config: config.sync, logger });
      syncSchedule.start();
      const plugins = kernel.registry.list();
      const summary = kernel.summary();
      const status = () => ({
        pid: process.pid,
        startedAt: startedAt.toISOString(),
        updatedAt: new Date().toISOString(),
        plugins: kernel.registry.list().map(pluginSummary),
      });
      await writeStatusFile(config.dataDir, status());
      unsubscribe = kernel.registry.onStateChange(() => void writeStatusFile(config.dataDir, status()).catch(() => undefined));

      if (options.json) {
        io.out(JSON.stringify({ event: 'ready', pid: process.pid, dataDir: config.dataDir, configFile: configPath ?? null, bootMs: Date.now() - startedAt.getTime(), summary, plugins: plugins.map(pluginSummary), ingest: describeIngestJson(ingested), server: monitoring.url }));
      } else {
        for (const record of plugins) io.out(describeLoaded(record));
        io.out(describeIngest(ingested));
        if (monitoring.url) io.out(`  serving ${monitoring.url}/metrics and ${monitoring.url}/health`);
        io.out(
          `rimuru-kernel ready in ${Date.now() - startedAt.getTime()} ms: ${summary.running} running, ` +
            `${summary.disabled} disabled, ${summary.errored + summary.quarantined} failed, of ${summary.discovered} plugins ` +
            `(data: ${config.dataDir}${configPath ? `, config: ${configPath}` : ''}) — Ctrl-C to stop`,
        );
      }

      await shutDown(await stop.signal);
    });
}

function describeIngest(summary: IngestRunSummary): string {
  const records = summary.records.inserted + summary.records.updated;
  const warnings = summary.warnings.reduce((sum, source) => sum + Object.values(source.counts).reduce((a, b) => a + (b ?? 0), 0), 0);
  const parts = [`  ingested ${records} new records from ${summary.sources.read} of ${summary.sources.total} sources in ${summary.durationMs} ms`];
  if (warnings > 0) parts.push(`${warnings} lines skipped`);
  if (summary.errors.length > 0) parts.push(`${summary.errors.length} problems (rimuru-kernel agents status)`);
  if (summary.unknownModels.length > 0) parts.push(`unpriced models: ${summary.unknownModels.join(', ')}`);
  return parts.join('; ');
}

function describeIngestJson(summary: IngestRunSummary): Record<string, unknown> {
  return {
    sources: summary.sources,
    bytesRead: summary.bytesRead,
    records: summary.records,
    sessions: summary.sessions,
    warnings: summary.warnings.length,
    errors: summary.errors,
    unknownModels: summary.unknownModels,
    durationMs: summary.durationMs,
  };
}

function describeLoaded(record: PluginRecord): string {
  const mark = record.state === 'running' ? '✓' : record.state === 'disabled' ? '-' : '✗';
  return `  ${mark} ${record.name}@${record.version} ${record.state}${record.reason ? ` — ${record.reason}` : ''}`;
}

/** Resolves on SIGINT or SIGTERM. Signal listeners do not keep Node alive, so a timer does until then. */
function listenForStopSignal(): { signal: Promise<NodeJS.Signals>; cancel(): void } {
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const cancel = () => {
    clearInterval(keepAlive);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (received) => {
      cancel();
      resolve(received);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { signal, cancel };
}
