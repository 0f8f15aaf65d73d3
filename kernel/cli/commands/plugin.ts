import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { bundlePlugin } from '../../../sandbox/bundler';
import { resolveLimits } from '../../../sandbox/isolate';
import { ErrorCodes, PluginError } from '../../core/errors';
import { parseManifest, type PluginRecord } from '../../core/registry';
import type { PluginLimits } from '../../../sdk/src/manifest';
import { loadCliContext, openRegistry, withStore, type GlobalOptions } from '../cli-context';
import { readLiveStatus } from '../kernel-status-file';
import { printJson, renderTable, type CliIo } from '../output';

export function registerPluginCommands(program: Command, io: CliIo): void {
  const plugin = program.command('plugin').description('list, inspect, enable, disable and build plugins');

  plugin
    .command('list')
    .description('list every plugin found, built-in and user-installed, with its state')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const { config } = context;
      const registry = await withStore(context, (database) => openRegistry(config, database));
      const live = await readLiveStatus(config.dataDir);
      const liveState = new Map(live?.plugins.map((p) => [p.name, p]) ?? []);
      const rows = registry.list().map((record) => ({
        name: record.name,
        version: record.version,
        kind: record.manifest?.rimuru.kind ?? null,
        source: record.source,
        state: liveState.get(record.name)?.state ?? record.state,
        reason: liveState.get(record.name)?.reason ?? record.reason ?? null,
      }));
      if (options.json) return printJson(io, { kernelRunning: live !== null, plugins: rows });
      if (rows.length === 0) return io.out(`no plugins found (built-in dir and ${config.plugins.dir})`);
      io.out(renderTable(io, ['name', 'version', 'kind', 'source', 'state', 'reason'], rows.map((r) => [r.name, r.version, r.kind ?? '?', r.source, r.state, r.reason ?? ''])));
      if (!live) io.err('(no kernel is running: states are what `rimuru-kernel run` would start with)');
    });

  plugin
    .command('info <name>')
    .description("show a plugin's manifest: kind, contributions, permissions, limits, dependencies, bundle")
    .option('--json', 'print the details as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const { config } = context;
      const registry = await withStore(context, (database) => openRegistry(config, database));
      const record = findPlugin(registry.list(), name);
      const info = describePlugin(record, config.sandbox.defaults);
      if (options.json) return printJson(io, info);
      const lines = [
        `${record.name}@${record.version} (${info.kind ?? 'invalid manifest'}, ${record.source})`,
        `state:        ${record.state}${record.reason ? ` — ${record.reason}` : ''}`,
        `dir:          ${record.dir}`,
        `bundle:       ${record.bundlePath ?? '-'}${record.integrity ? ` (sha256 ${record.integrity.slice(0, 16)}…)` : ' (not built)'}`,
        `engines:      rimuru ${info.engines ?? '-'}`,
        `limits:       ${info.limits ? `${info.limits.memoryMb} MB, ${info.limits.callTimeoutMs} ms CPU/call, ${info.limits.wallTimeoutMs} ms wall/call` : '-'}`,
        `permissions:  ${formatObject(info.permissions)}`,
        `contributes:  ${formatObject(info.contributes)}`,
        `dependencies: ${formatObject(info.dependencies)}`,
      ];
      io.out(lines.join('\n'));
    });

  for (const [verb, enabled, effect] of [
    ['enable', true, 'allow a plugin to run'],
    ['disable', false, 'stop a plugin from running'],
  ] as const) {
    plugin
      .command(`${verb} <name>`)
      .description(`${effect} (persisted; takes effect at the next \`rimuru-kernel run\`)`)
      .option('--json', 'print the resulting plugin state as JSON')
      .action(async (name: string, options: { json?: boolean }, command: Command) => {
        await changeEnabled(io, command, name, enabled, options.json === true);
      });
  }

  plugin
    .command('build [dir]')
    .description("bundle a plugin's src/plugin.ts into the file its package.json names as main (default dir: .)")
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, options: { json?: boolean }) => {
      const result = await buildPluginDir(resolve(dir ?? '.'));
      if (options.json) return printJson(io, result);
      io.out(`built ${result.name}@${result.version} → ${result.outfile} (${result.bytes} bytes)`);
    });
}

async function changeEnabled(io: CliIo, command: Command, name: string, enabled: boolean, json: boolean): Promise<void> {
  const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
  const { config } = context;
  const record = await withStore(context, async (database) => {
    const registry = await openRegistry(config, database);
    return enabled ? registry.enable(name) : registry.disable(name);
  });
  const live = await readLiveStatus(config.dataDir);
  if (json) return printJson(io, { name: record.name, state: record.state, reason: record.reason ?? null, kernelRunning: live !== null });
  io.out(`${record.name}: ${record.state}${record.reason ? ` — ${record.reason}` : ''}`);
  if (live) io.err(`a kernel is running (pid ${live.pid}): restart it for this to take effect`);
}

function findPlugin(records: PluginRecord[], name: string): PluginRecord {
  const record = records.find((r) => r.name === name);
  if (!record) {
    throw new PluginError(
      ErrorCodes.PLUGIN_NOT_FOUND,
      `No plugin named "${name}". Known plugins: ${records.map((r) => r.name).join(', ') || 'none'}`,
    );
  }
  return record;
}

/** What `plugin info` shows; limits are the ones `run` would apply (config defaults, then the manifest, capped). */
function describePlugin(record: PluginRecord, limitDefaults: PluginLimits) {
  const manifest = record.manifest;
  return {
    name: record.name,
    version: record.version,
    description: manifest?.description ?? null,
    kind: manifest?.rimuru.kind ?? null,
    source: record.source,
    state: record.state,
    reason: record.reason ?? null,
    dir: record.dir,
    bundle: record.bundlePath,
    integrity: record.integrity,
    engines: manifest?.engines.rimuru ?? null,
    limits: manifest ? resolveLimits({ ...limitDefaults, ...(manifest.rimuru.limits ?? {}) }) : null,
    permissions: manifest?.rimuru.permissions ?? {},
    contributes: manifest?.rimuru.contributes ?? {},
    dependencies: manifest?.rimuru.dependencies ?? {},
  };
}

function formatObject(value: unknown): string {
  const text = JSON.stringify(value);
  return text === '{}' || text === undefined ? 'none' : text;
}

/** Bundles one plugin folder; used by `plugin build` and by `npm run build` for the built-ins. */
export async function buildPluginDir(dir: string): Promise<{ name: string; version: string; outfile: string; bytes: number }> {
  const file = join(dir, 'package.json');
  const manifest = parseManifest(JSON.parse(await readFile(file, 'utf8')), file);
  const outfile = join(dir, manifest.main);
  const { code } = await bundlePlugin(join(dir, 'src', 'plugin.ts'));
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(outfile, code);
  return { name: manifest.name, version: manifest.version, outfile, bytes: Buffer.byteLength(code) };
}
