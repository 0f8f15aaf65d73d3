import { defineAdapter, type AgentDiscovery, type IngestSource, type ParseInput, type ParseOutput, type PluginContext } from '@rimuru/sdk';
import { claudeRoots, statIfReadable, type ClaudeRoot } from './data-roots';
import { parseTranscript } from './parse-transcript';
import { latestVersion } from './version-sniff';

/**
 * Only lines that can carry usage cross into the sandbox: assistant lines (`"usage"`) and the
 * pre-1.0.9 lines with a top-level `costUSD`. User, summary and file-history lines — the bulk
 * of a transcript, some of them hundreds of MB — stay on the host.
 */
const LINE_CONTAINS = ['"usage"', 'costUSD'];

/** One glob call's share; a project folder with more transcripts than this is reported. */
const MAX_FILES_PER_PROJECT = 10_000;

async function existingRoots(ctx: PluginContext): Promise<ClaudeRoot[]> {
  const roots = await claudeRoots(ctx);
  const found: ClaudeRoot[] = [];
  for (const root of roots) {
    const stat = await statIfReadable(ctx, root.projectsDir);
    if (stat?.isDirectory) found.push(root);
  }
  return found;
}

async function transcriptsOf(ctx: PluginContext, root: ClaudeRoot): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await ctx.fs.list(root.projectsDir)) {
    if (!entry.isDirectory) continue;
    let found: string[];
    try {
      found = await ctx.fs.glob(entry.path, '**/*.jsonl', { maxResults: MAX_FILES_PER_PROJECT });
    } catch (error) {
      // e.g. a project folder that is a link out of the data root: the gate refuses it.
      ctx.log.warn('cannot list a Claude Code project folder; skipped', { project: entry.path, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (found.length >= MAX_FILES_PER_PROJECT) {
      ctx.log.warn('a Claude Code project holds more transcripts than one listing returns; some were left out', {
        project: entry.path,
        listed: found.length,
      });
    }
    files.push(...found);
  }
  return files;
}

function isParseInput(input: unknown): input is ParseInput & { source: { path: string } } {
  if (typeof input !== 'object' || input === null) return false;
  const { source, lines } = input as { source?: unknown; lines?: unknown };
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as { path?: unknown }).path === 'string' &&
    (lines === undefined || (Array.isArray(lines) && lines.every((line) => typeof line === 'string')))
  );
}

export default defineAdapter({
  async discover(ctx): Promise<AgentDiscovery> {
    const roots = await existingRoots(ctx);
    const discovery: AgentDiscovery = { installed: roots.length > 0, paths: roots.map((root) => root.dir) };
    const version = await latestVersion(ctx, roots.map((root) => root.projectsDir));
    if (version !== undefined) discovery.version = version;
    return discovery;
  },

  async sources(ctx): Promise<IngestSource[]> {
    const sources: IngestSource[] = [];
    const seen = new Set<string>();
    for (const root of await existingRoots(ctx)) {
      for (const path of await transcriptsOf(ctx, root)) {
        if (seen.has(path)) continue;
        seen.add(path);
        sources.push({ id: path, kind: 'jsonl', path, lineContains: LINE_CONTAINS, conflict: 'keep-larger' });
      }
    }
    return sources;
  },

  async parse(input, ctx): Promise<ParseOutput> {
    if (!isParseInput(input)) {
      ctx.log.warn('parse was called without a source path and lines; nothing to do');
      return { records: [], sessions: [], warnings: [{ kind: 'other', message: 'parse input without source.path and lines' }] };
    }
    return parseTranscript(input.lines ?? [], input.source.path);
  },
});
