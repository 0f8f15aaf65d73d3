import type { Command } from 'commander';
import { ErrorCodes, StorageError } from '../../core/errors';
import { loadCliContext, withStore, type GlobalOptions } from '../cli-context';
import { ExitCode } from '../exit-codes';
import { printJson, type CliIo } from '../output';
import { formatStorageLine, storageReport } from '../storage-report';

export function registerDbCommands(program: Command, io: CliIo): void {
  const db = program.command('db').description('the store: where it is, whether it answers, its schema');

  db.command('status')
    .description('connect to the store and report its location, latency and schema (exit 1 when unreachable)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const report = await storageReport(await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn'));
      if (options.json) printJson(io, report);
      else io.out(formatStorageLine(report));
      if (!report.ok) process.exitCode = ExitCode.FAILURE;
    });

  db.command('migrate')
    .description('apply pending schema migrations now (run does this at boot); refuses a schema newer than this Rimuru')
    .option('--json', 'print the applied migrations as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      // withStore migrates on open; report what that did.
      const before = await storageReport(context);
      if (!before.ok) throw new StorageError(ErrorCodes.DB_CONNECTION, before.error?.message ?? 'the store is unreachable');
      const applied = before.schema?.pending ?? [];
      const schema = await withStore(context, (database) => database.schemaStatus());
      if (options.json) printJson(io, { applied, schema });
      else io.out(applied.length ? `applied ${applied.join(', ')}` : `schema up to date (${schema.applied.at(-1) ?? 'empty'})`);
    });
}
