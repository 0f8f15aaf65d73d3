import 'reflect-metadata';
import { Command, CommanderError, Option } from 'commander';
import { ErrorCodes, isRimuruError, errorMessage } from '../core/errors';
import { LOGGER_LEVELS } from '../core/logging';
import { registerAgentsCommands } from './commands/agents';
import { registerBudgetsCommands } from './commands/budgets';
import { registerCostsCommands } from './commands/costs';
import { registerDbCommands } from './commands/db';
import { registerHooksCommands } from './commands/hooks';
import { registerExportCommand } from './commands/export';
import { registerMetricsCommand } from './commands/metrics';
import { registerModelsCommands } from './commands/models';
import { registerNotifyCommands } from './commands/notify';
import { registerPluginCommands } from './commands/plugin';
import { registerRunCommand } from './commands/run';
import { registerSessionsCommands } from './commands/sessions';
import { registerStatusCommand } from './commands/status';
import { registerSyncCommands } from './commands/sync';
import { ExitCode } from './exit-codes';
import { processIo, type CliIo } from './output';
import { kernelVersion } from './package-root';

export function buildProgram(io: CliIo = processIo): Command {
  const version = kernelVersion();
  const program = new Command('rimuru-kernel')
    .description('Rimuru: see what your AI coding agents did and cost — a plugin-first microkernel')
    .version(version, '-V, --version', 'print the version')
    .option('-c, --config <file>', 'use this config file instead of searching for rimuru.config.* (env RIMURU_CONFIG)')
    .option('--data-dir <dir>', 'where Rimuru keeps its data (env RIMURU_DATA_DIR)')
    .addOption(new Option('--log-level <level>', 'log verbosity (env RIMURU_LOG_LEVEL)').choices([...LOGGER_LEVELS]))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  registerRunCommand(program, io);
  registerStatusCommand(program, io, version);
  registerPluginCommands(program, io);
  registerDbCommands(program, io);
  registerCostsCommands(program, io);
  registerSessionsCommands(program, io);
  registerAgentsCommands(program, io);
  registerModelsCommands(program, io);
  registerSyncCommands(program, io);
  registerExportCommand(program, io);
  registerMetricsCommand(program, io);
  registerBudgetsCommands(program, io);
  registerHooksCommands(program, io);
  registerNotifyCommands(program, io);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride();
  return program;
}

/** Runs the CLI; resolves to the process exit code (see `ExitCode`). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length <= 2) {
    program.outputHelp();
    return ExitCode.USAGE;
  }
  try {
    await program.parseAsync(argv);
    // A report that printed fine but found a problem (e.g. `status` with the store down) sets
    // process.exitCode; keep it.
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
  } catch (error) {
    return reportError(io, error);
  }
}

function reportError(io: CliIo, error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; real usage errors were already printed.
    if (error.exitCode === 0) return ExitCode.OK;
    return ExitCode.USAGE;
  }
  if (isRimuruError(error)) {
    io.err(`rimuru-kernel: ${error.code} ${error.message}`);
    if (error.code === ErrorCodes.USAGE) return ExitCode.USAGE;
    if (error.code === ErrorCodes.CONFIG_INVALID || error.code === ErrorCodes.CONFIG_UNREADABLE) return ExitCode.CONFIG;
    return ExitCode.FAILURE;
  }
  io.err(`rimuru-kernel: unexpected error: ${errorMessage(error)}`);
  if (error instanceof Error && error.stack) io.err(error.stack);
  return ExitCode.FAILURE;
}
