import type { Command } from 'commander';
import { Kernel } from '../../core/lifecycle';
import { loadCliContext, withStore, type GlobalOptions } from '../cli-context';
import { ExitCode } from '../exit-codes';
import { printJson, type CliIo } from '../output';

export function registerNotifyCommands(program: Command, io: CliIo): void {
  const notify = program.command('notify').description('notifier plugins (Slack, Discord, webhook)');

  notify
    .command('test <name>')
    .description("run a notifier's testConnection against its configured destination (name: slack, discord, webhook, or the package name); logged in `hooks log` (exit 1 when it fails)")
    .option('--json', 'print the delivery as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const record = await withStore(context, async (database) => {
        const kernel = await Kernel.boot({ config: context.config, logger: context.logger, database });
        try {
          return await kernel.notifications!.test(name);
        } finally {
          await kernel.shutdown('notify test done');
        }
      });
      if (options.json) printJson(io, record);
      else if (record.status === 'delivered') io.out(`${record.notifier}: ok${record.httpStatus === null ? '' : ` (HTTP ${record.httpStatus})`} in ${Math.round(record.durationMs)} ms`);
      else io.out(`${record.notifier}: failed — ${record.error?.code ?? ''} ${record.error?.message ?? ''}`.trim());
      if (record.status !== 'delivered') process.exitCode = ExitCode.FAILURE;
    });
}
