import type { Command } from 'commander';
import { z } from 'zod';
import { BUILTIN_HOOKS, isHookName, type HookName } from '../../../sdk/src/hooks';
import { UsageError } from '../../core/errors';
import { hookPayloadSchemas, type HookExecution } from '../../core/hooks';
import { payloadSchemaFor } from '../../core/hooks/hook-payload-schemas';
import { Kernel } from '../../core/lifecycle';
import { BUDGET_HANDLER_ID, resolveBudgets } from '../../services/budgets';
import { DeliveryLog, NOTIFY_HANDLER_ID, NOTIFY_HOOK } from '../../services/notifications';
import { DatabaseHookExecutionRecorder } from '../../services/storage/stores';
import { loadCliContext, openRegistry, withStore, type GlobalOptions } from '../cli-context';
import { printJson, renderTable, type CliIo } from '../output';

const DEFAULT_LOG_LIMIT = 20;

/** What each built-in hook is for, for `hooks types`. */
const HOOK_PURPOSE: Record<(typeof BUILTIN_HOOKS)[number], string> = {
  SessionStart: 'ingestion found a new session',
  SessionEnd: 'a session ended or went idle',
  CostThreshold: 'spend crossed a budget threshold (once per threshold per period)',
  MetricsExport: 'metrics collected, for exporters',
  CostRecorded: 'an ingest commit added cost to a session',
  AgentDiscovered: 'an adapter found its agent',
  PluginLoaded: 'a plugin started',
  PluginUnloaded: 'a plugin stopped',
  SyncComplete: 'a pricing source synced',
  KernelReady: 'every plugin started',
  KernelShutdown: 'the kernel is stopping',
  Error: 'a service reported an error',
};

export interface HookHandlerRow {
  hook: string;
  owner: string;
  priority: number | null;
  timeoutMs: number | null;
  state: string;
}

export function registerHooksCommands(program: Command, io: CliIo): void {
  const hooks = program.command('hooks').description('hook points, their handlers, and what ran (hook executions and notification deliveries)');

  hooks
    .command('list')
    .description("list every hook handler: plugins' declared handlers (from their manifests, no plugin code runs) and the kernel's own")
    .option('--json', 'print the handlers as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const registry = await withStore(context, (database) => openRegistry(context.config, database));
      const rows: HookHandlerRow[] = [];
      for (const record of registry.list()) {
        for (const contribution of record.manifest?.rimuru.contributes?.hooks ?? []) {
          rows.push({ hook: contribution.hook, owner: record.name, priority: contribution.priority ?? 100, timeoutMs: contribution.timeoutMs ?? null, state: record.state });
        }
      }
      if (resolveBudgets(context.config.budgets).budgets.length > 0) {
        rows.push({ hook: 'CostRecorded', owner: `host (${BUDGET_HANDLER_ID})`, priority: 1_000, timeoutMs: null, state: 'running' });
      }
      rows.push({ hook: NOTIFY_HOOK, owner: `host (${NOTIFY_HANDLER_ID})`, priority: 1_000, timeoutMs: null, state: 'running' });
      rows.sort((a, b) => (a.hook === b.hook ? (a.priority ?? 0) - (b.priority ?? 0) : a.hook < b.hook ? -1 : 1));
      if (options.json) return printJson(io, { handlers: rows });
      io.out(renderTable(io, ['hook', 'handler', 'priority', 'timeout', 'state'], rows.map((r) => [r.hook, r.owner, r.priority ?? '-', r.timeoutMs === null ? 'default' : `${r.timeoutMs} ms`, r.state])));
    });

  hooks
    .command('types')
    .description('list the built-in hooks and the fields of their payloads (custom hooks are custom:<name>)')
    .option('--json', 'print the hook types as JSON')
    .action((options: { json?: boolean }) => {
      const types = BUILTIN_HOOKS.map((hook) => ({ hook, purpose: HOOK_PURPOSE[hook], fields: payloadFields(hookPayloadSchemas[hook]) }));
      if (options.json) return printJson(io, { hooks: types, custom: 'custom:<name> (letters, digits, _ . : -), emitted by plugins that declare it in contributes.emits' });
      io.out(renderTable(io, ['hook', 'payload', 'when'], types.map((t) => [t.hook, t.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${f.type}`).join(', '), t.purpose])));
      io.out('custom hooks: custom:<name>, emitted by plugins that declare the name in contributes.emits (custom:notify routes a notification to the notifiers)');
    });

  hooks
    .command('trigger <name>')
    .description('boot the kernel, emit one hook (a built-in payload is checked against its schema) and show what each handler did; notifications it causes are delivered before exit')
    .option('--data <json>', 'the payload, as JSON', '{}')
    .option('--json', 'print the executions as JSON')
    .action(async (name: string, options: { data: string; json?: boolean }, command: Command) => {
      if (!isHookName(name)) throw new UsageError(`"${name}" is not a hook: use one of ${BUILTIN_HOOKS.join(', ')} or custom:<name>`);
      const payload = parsePayload(name, options.data);
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const result = await withStore(context, async (database) => {
        const kernel = await Kernel.boot({ config: context.config, logger: context.logger, database });
        try {
          const emitted = await kernel.hookBus.emitSeries(name, payload as never);
          await kernel.budgets?.idle();
          await kernel.notifications?.idle();
          return emitted;
        } finally {
          await kernel.shutdown('hooks trigger done');
        }
      });
      if (options.json) return printJson(io, { hook: name, executions: result.executions, aborted: result.aborted ?? null, payload: result.payload });
      if (result.executions.length === 0) io.out(`${name}: no handler`);
      else io.out(executionTable(io, result.executions));
      if (result.aborted) io.out(`aborted by ${result.aborted.owner}: ${result.aborted.reason}`);
    });

  hooks
    .command('log')
    .description('show the newest hook executions (handler, result, duration, error) and notification deliveries (notifier, event, status, attempts, error)')
    .option('--json', 'print the log as JSON')
    .option('--limit <n>', `rows of each (default ${DEFAULT_LOG_LIMIT})`, (value) => parseLimit(value))
    .option('--hook <name>', 'only executions of this hook')
    .action(async (options: { json?: boolean; limit?: number; hook?: string }, command: Command) => {
      const limit = options.limit ?? DEFAULT_LOG_LIMIT;
      if (options.hook !== undefined && !isHookName(options.hook)) throw new UsageError(`"${options.hook}" is not a hook name`);
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const { executions, deliveries } = await withStore(context, async (database) => ({
        executions: await new DatabaseHookExecutionRecorder(database.knex).recent(limit, options.hook as HookName | undefined),
        deliveries: await new DeliveryLog(database.knex).recent(limit),
      }));
      if (options.json) return printJson(io, { executions, deliveries });
      io.out(executions.length === 0 ? 'hook executions: none' : `hook executions (newest first):\n${executionTable(io, executions)}`);
      io.out(
        deliveries.length === 0
          ? 'deliveries: none'
          : `deliveries (newest first):\n${renderTable(
              io,
              ['time', 'notifier', 'event', 'level', 'status', 'attempts', 'error'],
              deliveries.map((d) => [d.startedAt, d.notifier, d.event, d.level, d.status + (d.httpStatus === null ? '' : ` (${d.httpStatus})`), d.attempts, d.error ? `${d.error.code} ${d.error.message}` : '']),
            )}`,
      );
    });
}

function executionTable(io: CliIo, executions: readonly HookExecution[]): string {
  return renderTable(
    io,
    ['time', 'hook', 'handler', 'result', 'ms', 'error'],
    executions.map((e) => [e.startedAt, e.hook, e.owner === 'host' ? `host:${e.handlerId}` : e.owner, e.result, e.durationMs.toFixed(1), e.error ? `${e.error.code} ${e.error.message}` : '']),
  );
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError(`--limit must be a whole number from 1 to 10000, got "${value}"`);
  return n;
}

/** The `--data` JSON, checked against the hook's payload schema when it is a built-in hook. */
export function parsePayload(hook: string, data: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (error) {
    throw new UsageError(`--data is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const schema = payloadSchemaFor(hook);
  if (!schema) return value;
  const checked = schema.safeParse(value);
  if (!checked.success) {
    throw new UsageError(`--data is not a ${hook} payload: ${checked.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ')}`);
  }
  return checked.data;
}

/** Field names, types and optionality of a payload schema (an object schema of plain fields). */
function payloadFields(schema: z.ZodType): Array<{ name: string; type: string; optional: boolean }> {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const optional = field instanceof z.ZodOptional;
    const inner = optional ? (field as z.ZodOptional<z.ZodType>).unwrap() : field;
    return { name, type: typeName(inner), optional };
  });
}

function typeName(schema: z.ZodType): string {
  if (schema instanceof z.ZodString) return 'string';
  if (schema instanceof z.ZodNumber) return 'number';
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodArray) return `${typeName((schema as z.ZodArray<z.ZodType>).element)}[]`;
  if (schema instanceof z.ZodRecord) return 'object';
  return 'json';
}
