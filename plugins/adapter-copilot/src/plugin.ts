import { defineAdapter, type AgentDiscovery, type IngestSource, type ParseInput, type ParseOutput, type PluginContext } from '@rimuru/sdk';
import {
  copilotHomes,
  isSessionEventsFile,
  joinPath,
  otelExportFile,
  OTEL_DIR,
  parentDir,
  SESSION_STATE_DIR,
  EVENTS_FILE,
  statIfReadable,
  type CopilotHome,
} from './copilot-homes';
import { OTEL_LINE_CONTAINS, parseOtelSpans } from './parse-otel-spans';
import { parseSessionEvents, SESSION_EVENTS_LINE_CONTAINS } from './parse-session-events';
import { latestVersion } from './version-sniff';
import { workspaceCwd } from './workspace-file';

/** One glob call's share; a directory with more files than this is reported. */
const MAX_FILES_PER_LISTING = 10_000;
/** A session id that can be used as a directory name under `session-state/`. */
const SESSION_DIR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

async function existingHomes(ctx: PluginContext): Promise<CopilotHome[]> {
  const found: CopilotHome[] = [];
  for (const home of await copilotHomes(ctx)) {
    // The named path, not its parent: a configured `session-state/` may be all the kernel granted.
    if ((await statIfReadable(ctx, home.named))?.isDirectory) found.push(home);
  }
  return found;
}

async function filesUnder(ctx: PluginContext, dir: string, pattern: string): Promise<string[]> {
  if (!(await statIfReadable(ctx, dir))?.isDirectory) return [];
  const files = await ctx.fs.glob(dir, pattern, { maxResults: MAX_FILES_PER_LISTING });
  if (files.length >= MAX_FILES_PER_LISTING) {
    ctx.log.warn('a Copilot CLI directory holds more files than one listing returns; some were left out', { dir, listed: files.length });
  }
  return files;
}

async function sessionEventFiles(ctx: PluginContext, homes: readonly CopilotHome[]): Promise<string[]> {
  const files: string[] = [];
  for (const home of homes) files.push(...(await filesUnder(ctx, joinPath(home.dir, SESSION_STATE_DIR), `*/${EVENTS_FILE}`)));
  return files;
}

/** The session-state check the OTel parser uses: is there an `events.jsonl` for this session in any data directory? */
function sessionStateLookup(ctx: PluginContext, homes: readonly CopilotHome[]): (sessionId: string) => Promise<boolean> {
  return async (sessionId) => {
    if (!SESSION_DIR_NAME.test(sessionId)) return false;
    for (const home of homes) {
      if ((await statIfReadable(ctx, joinPath(home.dir, SESSION_STATE_DIR, sessionId, EVENTS_FILE)))?.isFile) return true;
    }
    return false;
  };
}

function isLinesInput(input: unknown): input is ParseInput & { source: { path: string }; lines?: string[] } {
  if (typeof input !== 'object' || input === null) return false;
  const { source, lines } = input as { source?: unknown; lines?: unknown };
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as { path?: unknown }).path === 'string' &&
    (lines === undefined || (Array.isArray(lines) && lines.every((line) => typeof line === 'string')))
  );
}

/**
 * GitHub Copilot CLI: session-state event logs (`session-state/<id>/events.jsonl`), with usage
 * from each `session.shutdown`'s per-model totals, and, when exported, OpenTelemetry chat spans
 * (`otel/**.jsonl`, `COPILOT_OTEL_FILE_EXPORTER_PATH`) for sessions that have no session-state.
 * See the package README for how the two are kept from counting a call twice.
 */
export default defineAdapter({
  async discover(ctx): Promise<AgentDiscovery> {
    const homes = await existingHomes(ctx);
    const discovery: AgentDiscovery = { installed: homes.length > 0, paths: homes.map((home) => home.named) };
    const version = await latestVersion(ctx, homes, await sessionEventFiles(ctx, homes));
    if (version !== undefined) discovery.version = version;
    return discovery;
  },

  async sources(ctx): Promise<IngestSource[]> {
    const homes = await existingHomes(ctx);
    const sources: IngestSource[] = [];
    const seen = new Set<string>();
    const add = (path: string, lineContains: string[]): void => {
      if (seen.has(path)) return;
      seen.add(path);
      sources.push({ id: path, kind: 'jsonl', path, lineContains, conflict: 'ignore' });
    };
    for (const path of await sessionEventFiles(ctx, homes)) add(path, SESSION_EVENTS_LINE_CONTAINS);
    for (const home of homes) {
      for (const path of await filesUnder(ctx, joinPath(home.dir, OTEL_DIR), '**/*.jsonl')) add(path, OTEL_LINE_CONTAINS);
    }
    const exported = await otelExportFile(ctx);
    if (exported !== undefined && (await statIfReadable(ctx, exported))?.isFile) add(exported, OTEL_LINE_CONTAINS);
    return sources;
  },

  async parse(input, ctx): Promise<ParseOutput> {
    if (!isLinesInput(input)) {
      ctx.log.warn('parse was called without a source path and lines; nothing to do');
      return { records: [], sessions: [], warnings: [{ kind: 'other', message: 'parse input without source.path and lines' }] };
    }
    const path = input.source.path;
    const lines = input.lines ?? [];
    if (!isSessionEventsFile(path)) {
      const homes = await existingHomes(ctx);
      const parsed = await parseOtelSpans(lines, input.state, sessionStateLookup(ctx, homes));
      if (parsed.coveredSpans > 0) ctx.log.debug('OTel chat spans left to session-state totals', { source: path, spans: parsed.coveredSpans });
      return { records: parsed.records, sessions: parsed.sessions, state: parsed.state, warnings: parsed.warnings };
    }
    const parsed = parseSessionEvents(lines, path, input.state);
    const session = parsed.sessions[0];
    if (session !== undefined && session.projectPath === undefined && parsed.state.workspaceChecked !== true) {
      parsed.state.workspaceChecked = true;
      const cwd = await workspaceCwd(ctx, joinPath(parentDir(path), 'workspace.yaml'));
      if (cwd !== undefined) {
        parsed.state.projectPath = cwd;
        session.projectPath = cwd;
      }
    }
    return parsed;
  },
});
