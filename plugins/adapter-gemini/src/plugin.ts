import { defineAdapter, type AgentDiscovery, type IngestSource, type ParseInput, type ParseOutput, type PluginContext } from '@rimuru/sdk';
import { chatFileOf, LEGACY_RECORDING, MAIN_RECORDING } from './chat-files';
import { baseName, geminiHomes, statIfReadable, type GeminiHome } from './gemini-homes';
import { CHAT_LOG_LINE_CONTAINS, parseChatLog } from './parse-chat-log';
import { parseLegacyChat } from './parse-legacy-chat';
import { projectPathOf } from './project-path';

/** One glob call's share; a directory with more files than this is reported. */
const MAX_FILES_PER_LISTING = 10_000;

async function existingHomes(ctx: PluginContext): Promise<GeminiHome[]> {
  const found: GeminiHome[] = [];
  for (const home of await geminiHomes(ctx)) {
    // The named path, not its parent: a configured `tmp/` may be all the kernel granted.
    if ((await statIfReadable(ctx, home.named))?.isDirectory) found.push(home);
  }
  return found;
}

async function filesUnder(ctx: PluginContext, dir: string, pattern: string): Promise<string[]> {
  const files = await ctx.fs.glob(dir, pattern, { maxResults: MAX_FILES_PER_LISTING });
  if (files.length >= MAX_FILES_PER_LISTING) {
    ctx.log.warn('a Gemini CLI directory holds more files than one listing returns; some were left out', { dir, listed: files.length });
  }
  return files;
}

/** Main recordings (`<project>/chats/session-….jsonl`, legacy `.json`) and sub-agent recordings (`<project>/chats/<parent>/<id>.jsonl`). */
async function recordingsOf(ctx: PluginContext, home: GeminiHome): Promise<IngestSource[]> {
  if (!(await statIfReadable(ctx, home.tmpDir))?.isDirectory) return [];
  const sources: IngestSource[] = [];
  for (const path of await filesUnder(ctx, home.tmpDir, '*/chats/*')) {
    const name = baseName(path);
    if (MAIN_RECORDING.test(name)) sources.push({ id: path, kind: 'jsonl', path, lineContains: CHAT_LOG_LINE_CONTAINS, conflict: 'keep-larger' });
    else if (LEGACY_RECORDING.test(name)) sources.push({ id: path, kind: 'json', path, conflict: 'keep-larger' });
  }
  for (const path of await filesUnder(ctx, home.tmpDir, '*/chats/*/*.jsonl')) {
    sources.push({ id: path, kind: 'jsonl', path, lineContains: CHAT_LOG_LINE_CONTAINS, conflict: 'keep-larger' });
  }
  return sources;
}

function isParseInput(input: unknown): input is ParseInput & { source: { path: string; kind: string } } {
  if (typeof input !== 'object' || input === null) return false;
  const { source, lines, text } = input as { source?: unknown; lines?: unknown; text?: unknown };
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as { path?: unknown }).path === 'string' &&
    typeof (source as { kind?: unknown }).kind === 'string' &&
    (lines === undefined || (Array.isArray(lines) && lines.every((line) => typeof line === 'string'))) &&
    (text === undefined || typeof text === 'string')
  );
}

/**
 * Gemini CLI: the chat recordings under `tmp/<project>/chats/` — JSONL (a header, messages
 * appended again as they change, `$set` patches, `$rewindTo` markers), legacy whole-file JSON,
 * and sub-agent recordings — one usage record per gemini message. See the package README for
 * how token kinds, re-appended messages and rewinds are counted.
 */
export default defineAdapter({
  async discover(ctx): Promise<AgentDiscovery> {
    const homes = await existingHomes(ctx);
    return { installed: homes.length > 0, paths: homes.map((home) => home.named) };
  },

  async sources(ctx): Promise<IngestSource[]> {
    const sources: IngestSource[] = [];
    const seen = new Set<string>();
    for (const home of await existingHomes(ctx)) {
      for (const source of await recordingsOf(ctx, home)) {
        if (seen.has(source.id)) continue;
        seen.add(source.id);
        sources.push(source);
      }
    }
    return sources;
  },

  async parse(input, ctx): Promise<ParseOutput> {
    if (!isParseInput(input)) {
      ctx.log.warn('parse was called without a source path; nothing to do');
      return { records: [], sessions: [], warnings: [{ kind: 'other', message: 'parse input without source.path and kind' }] };
    }
    const path = input.source.path;
    if (input.source.kind === 'json') {
      return parseLegacyChat(input.text ?? '', path, await projectPathOf(ctx, chatFileOf(path).projectDir));
    }
    const parsed = parseChatLog(input.lines ?? [], path, input.state);
    const session = parsed.sessions[0];
    if (parsed.state.projectChecked !== true && session !== undefined) {
      parsed.state.projectChecked = true;
      const projectPath = await projectPathOf(ctx, chatFileOf(path).projectDir);
      if (projectPath !== undefined) {
        parsed.state.projectPath = projectPath;
        session.projectPath = projectPath;
      }
    }
    return parsed;
  },
});
