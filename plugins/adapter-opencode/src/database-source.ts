import { CapabilityError, type ParseOutput, type ParseWarning, type PluginContext, type SessionEvent, type UsageRecord } from '@rimuru/sdk';
import * as z from 'zod/mini';
import { mergeSessionEvents, messageUsage } from './message-usage';
import { sessionEvent } from './session-event';

/** Rows fetched per query: small enough for the sqlite capability's result limits. */
const PAGE_ROWS = 2_000;
/**
 * Records one `parse` call returns at most, so that its answer stays far below the sandbox's
 * result limit on a first ingest of years of history. The position in `state` says where the
 * next call resumes.
 */
export const MAX_RECORDS_PER_PARSE = 20_000;

/** How far this source has been read: rows are ordered by (time_updated, id), and a rewritten row moves to the end. */
const positionSchema = z.object({ updatedMs: z.number(), id: z.string() });
const stateSchema = z.object({ messages: z.nullable(positionSchema), sessions: z.nullable(positionSchema) });
type Position = z.infer<typeof positionSchema>;
type DatabaseState = z.infer<typeof stateSchema>;

// The inner select pages on plain columns only; the outer one projects the few JSON fields the
// adapter reads, so neither a large `data` (user messages carry whole diffs) nor a malformed one
// (it comes back as a NULL `info`) can break a page.
const MESSAGES_AFTER = `
SELECT m.id, m.session_id, m.time_updated,
  CASE WHEN json_valid(m.data) THEN json_object(
    'role', m.data -> '$.role', 'time', m.data -> '$.time', 'modelID', m.data -> '$.modelID',
    'providerID', m.data -> '$.providerID', 'path', m.data -> '$.path', 'cost', m.data -> '$.cost',
    'tokens', m.data -> '$.tokens') END AS info
FROM message m
WHERE m.rowid IN (
  SELECT rowid FROM message WHERE time_updated > ? OR (time_updated = ? AND id > ?)
  ORDER BY time_updated, id LIMIT ?)
ORDER BY m.time_updated, m.id`;

const SESSIONS_AFTER = `
SELECT id, parent_id, project_id, directory, title, version, time_created, time_updated
FROM session WHERE time_updated > ? OR (time_updated = ? AND id > ?)
ORDER BY time_updated, id LIMIT ?`;

const messageRowSchema = z.object({ id: z.string(), session_id: z.string(), time_updated: z.number(), info: z.nullable(z.string()) });
const sessionRowSchema = z.object({
  id: z.string(),
  parent_id: z.nullable(z.string()),
  project_id: z.nullable(z.string()),
  directory: z.nullable(z.string()),
  title: z.nullable(z.string()),
  version: z.nullable(z.string()),
  time_created: z.nullable(z.number()),
  time_updated: z.number(),
});

const START: Position = { updatedMs: -1, id: '' };

function pageParams(after: Position | null, rows = PAGE_ROWS): Array<string | number> {
  const from = after ?? START;
  return [from.updatedMs, from.updatedMs, from.id, rows];
}

/** A query the database refused (not an OpenCode database, a schema this adapter does not know): a warning, not a crash. */
function isDatabaseFailure(error: unknown): boolean {
  return error instanceof CapabilityError && error.code === 'E2009';
}

interface Collected {
  records: UsageRecord[];
  sessions: SessionEvent[];
  warnings: ParseWarning[];
}

async function readSessions(ctx: PluginContext, file: string, after: Position | null, into: Collected): Promise<Position | null> {
  let position = after;
  for (;;) {
    const rows = await ctx.sqlite.query(file, SESSIONS_AFTER, pageParams(position));
    for (const raw of rows) {
      const row = sessionRowSchema.safeParse(raw);
      if (!row.success) {
        into.warnings.push({ kind: 'corrupt', message: `opencode session row ${String(raw.id)} in ${file} has an unexpected shape` });
        continue;
      }
      const { id, parent_id, project_id, directory, title, version, time_created, time_updated } = row.data;
      into.sessions.push(
        sessionEvent({ id, parentId: parent_id, projectId: project_id, directory, title, version, createdMs: time_created, updatedMs: time_updated }),
      );
    }
    const last = rows.at(-1);
    if (last) position = { updatedMs: Number(last.time_updated), id: String(last.id) };
    if (rows.length < PAGE_ROWS) return position;
  }
}

async function readMessages(ctx: PluginContext, file: string, after: Position | null, into: Collected): Promise<Position | null> {
  let position = after;
  const sessions: SessionEvent[] = [];
  for (;;) {
    // Never more rows than records still allowed: the cap is exact.
    const limit = Math.min(PAGE_ROWS, MAX_RECORDS_PER_PARSE - into.records.length);
    const rows = await ctx.sqlite.query(file, MESSAGES_AFTER, pageParams(position, limit));
    for (const raw of rows) {
      const row = messageRowSchema.safeParse(raw);
      if (!row.success) {
        into.warnings.push({ kind: 'corrupt', message: `opencode message row ${String(raw.id)} in ${file} has an unexpected shape` });
        continue;
      }
      const { id, session_id, info } = row.data;
      if (info === null) {
        into.warnings.push({ kind: 'corrupt', message: `opencode message ${id} (session ${session_id}) has malformed JSON in its data column` });
        continue;
      }
      const usage = messageUsage(id, session_id, JSON.parse(info));
      if (usage.warning) into.warnings.push(usage.warning);
      if (usage.record) into.records.push(usage.record);
      if (usage.session) sessions.push(usage.session);
    }
    const last = rows.at(-1);
    if (last) position = { updatedMs: Number(last.time_updated), id: String(last.id) };
    if (rows.length < limit || into.records.length >= MAX_RECORDS_PER_PARSE) break;
  }
  into.sessions.push(...sessions);
  return position;
}

/**
 * Reads what changed in `opencode.db` since the position in `state`: sessions (title, directory,
 * times) and assistant messages with usage. A message OpenCode rewrites (it fills in tokens when
 * a step finishes) gets a newer `time_updated` and is read again; the source's `keep-larger`
 * rule lets the fuller copy win.
 */
export async function parseDatabase(file: string, state: unknown, ctx: PluginContext): Promise<ParseOutput> {
  const previous = stateSchema.safeParse(state);
  const from: DatabaseState = previous.success ? previous.data : { messages: null, sessions: null };
  const collected: Collected = { records: [], sessions: [], warnings: [] };
  let sessions = from.sessions;
  try {
    sessions = await readSessions(ctx, file, from.sessions, collected);
  } catch (error) {
    // Session metadata is a nicety: a session table this adapter cannot read must not hold back usage.
    if (!isDatabaseFailure(error)) throw error;
    collected.warnings.push({ kind: 'other', message: `cannot read the session table of ${file}: ${(error as Error).message}` });
  }
  try {
    const messages = await readMessages(ctx, file, from.messages, collected);
    const next: DatabaseState = { sessions, messages };
    return { records: collected.records, sessions: mergeSessionEvents(collected.sessions), warnings: collected.warnings, state: next };
  } catch (error) {
    if (!isDatabaseFailure(error)) throw error;
    // Nothing from this call is kept: the same position is tried again on the next change.
    return {
      records: [],
      sessions: [],
      warnings: [{ kind: 'corrupt', message: `cannot read the OpenCode database ${file}: ${(error as Error).message}` }],
      state: from,
    };
  }
}
