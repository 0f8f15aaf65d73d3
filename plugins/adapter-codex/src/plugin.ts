import { defineAdapter, statIfReadable, type AgentDiscovery, type IngestSource, type ParseOutput, type PluginContext } from '@rimuru/sdk';
import { codexHomes, joinPath, type CodexHome } from './codex-homes';
import { parseRollout, restoreState } from './parse-rollout';

/**
 * Only the lines that name the session, the model or a token count cross into the sandbox;
 * `response_item` lines (prompts, outputs, tool calls: nearly all of a rollout) stay on the host.
 */
const LINE_CONTAINS = ['"session_meta"', '"turn_context"', '"token_count"'];
const ROLLOUT_GLOB = '**/rollout-*.jsonl';
/** One glob call's share; a month of sessions holding more than this is reported. */
const MAX_FILES_PER_CALL = 10_000;
/** The head of a rollout read for its `session_meta` (it carries the instructions, so it can be long). */
const HEAD_BYTES = 64 * 1024;

async function existingHomes(ctx: PluginContext): Promise<CodexHome[]> {
  const found: CodexHome[] = [];
  for (const home of await codexHomes(ctx)) {
    if ((await statIfReadable(ctx, home.dir, 'a Codex data directory'))?.isDirectory) found.push(home);
  }
  return found;
}

async function subdirectories(ctx: PluginContext, dir: string): Promise<string[]> {
  if (!(await statIfReadable(ctx, dir, 'a Codex data directory'))?.isDirectory) return [];
  return (await ctx.fs.list(dir))
    .filter((entry) => entry.isDirectory)
    .map((entry) => entry.path)
    .sort();
}

async function globReported(ctx: PluginContext, dir: string): Promise<string[]> {
  const files = await ctx.fs.glob(dir, ROLLOUT_GLOB, { maxResults: MAX_FILES_PER_CALL });
  if (files.length >= MAX_FILES_PER_CALL) {
    ctx.log.warn('a Codex folder holds more rollouts than one listing returns; some were left out', { dir, listed: files.length });
  }
  return files;
}

/** `sessions/YYYY/MM/…` a month at a time (a heavy year can exceed one listing), then `archived_sessions/`. */
async function rolloutsOf(ctx: PluginContext, home: CodexHome): Promise<string[]> {
  const files: string[] = [];
  for (const year of await subdirectories(ctx, joinPath(home.dir, 'sessions'))) {
    for (const month of await subdirectories(ctx, year)) files.push(...(await globReported(ctx, month)));
  }
  const archived = joinPath(home.dir, 'archived_sessions');
  if ((await statIfReadable(ctx, archived, 'a Codex data directory'))?.isDirectory) files.push(...(await globReported(ctx, archived)));
  return files;
}

/** The newest rollout under `sessions/` (folders and file names sort by time). */
async function newestRollout(ctx: PluginContext, home: CodexHome): Promise<string | undefined> {
  let dirs = [joinPath(home.dir, 'sessions')];
  for (let depth = 0; depth < 3; depth++) {
    const next = await subdirectories(ctx, dirs[0] as string);
    if (next.length === 0) return undefined;
    dirs = next.reverse();
  }
  for (const day of dirs) {
    const rollouts = (await ctx.fs.list(day)).filter((entry) => entry.isFile && entry.name.endsWith('.jsonl')).map((entry) => entry.path).sort();
    if (rollouts.length > 0) return rollouts[rollouts.length - 1];
  }
  return undefined;
}

async function cliVersion(ctx: PluginContext, homes: readonly CodexHome[]): Promise<string | undefined> {
  for (const home of homes) {
    try {
      const rollout = await newestRollout(ctx, home);
      if (rollout === undefined) continue;
      const { data } = await ctx.fs.read(rollout, { length: HEAD_BYTES });
      const version = /"cli_version":"([^"]+)"/.exec(data)?.[1];
      if (version !== undefined) return version;
    } catch (error) {
      ctx.log.debug('could not read the Codex version from a rollout', { error: error instanceof Error ? error.message : String(error) });
    }
  }
  return undefined;
}

function sourcePathOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const source = (input as { source?: unknown }).source;
  if (typeof source !== 'object' || source === null) return undefined;
  const path = (source as { path?: unknown }).path;
  return typeof path === 'string' ? path : undefined;
}

function linesOf(input: unknown): string[] | undefined {
  const lines = (input as { lines?: unknown }).lines;
  if (lines === undefined) return [];
  return Array.isArray(lines) && lines.every((line) => typeof line === 'string') ? (lines as string[]) : undefined;
}

export default defineAdapter({
  async discover(ctx): Promise<AgentDiscovery> {
    const homes = await existingHomes(ctx);
    const discovery: AgentDiscovery = { installed: homes.length > 0, paths: homes.map((home) => home.dir) };
    const version = await cliVersion(ctx, homes);
    if (version !== undefined) discovery.version = version;
    return discovery;
  },

  async sources(ctx): Promise<IngestSource[]> {
    const sources: IngestSource[] = [];
    const seen = new Set<string>();
    for (const home of await existingHomes(ctx)) {
      for (const path of await rolloutsOf(ctx, home)) {
        if (seen.has(path)) continue;
        seen.add(path);
        sources.push({ id: path, kind: 'jsonl', path, lineContains: LINE_CONTAINS, conflict: 'ignore' });
      }
    }
    return sources;
  },

  async parse(input, ctx): Promise<ParseOutput> {
    const path = sourcePathOf(input);
    const lines = linesOf(input);
    if (path === undefined || lines === undefined) {
      ctx.log.warn('parse was called without a source path and lines; nothing to do');
      return { records: [], sessions: [], warnings: [{ kind: 'other', message: 'parse input without source.path and lines' }] };
    }
    return parseRollout(lines, path, restoreState(input.state));
  },
});
