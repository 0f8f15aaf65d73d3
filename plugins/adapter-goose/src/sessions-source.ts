import { CapabilityError, type ParseOutput, type ParseWarning, type PluginContext, type SessionEvent, type UsageRecord } from '@rimuru/sdk';
import * as z from 'zod/mini';

/** Rows fetched per query. */
const PAGE_ROWS = 1_000;
/** Rows one `parse` call examines at most; the engine calls again while the state moves. */
const MAX_ROWS_PER_PARSE = 20_000;

/**
 * Columns read when the database has them. Goose's schema grew by migrations: `name` (v4),
 * `session_type` (v5), `provider_name` and `model_config_json` (v6), `accumulated_cost` (v13);
 * the accumulated token columns predate the versioning. A missing column reads as NULL.
 */
const OPTIONAL_COLUMNS = [
  'name',
  'description',
  'working_dir',
  'session_type',
  'provider_name',
  'model_config_json',
  'input_tokens',
  'output_tokens',
  'accumulated_input_tokens',
  'accumulated_output_tokens',
  'accumulated_cost',
] as const;

const count = z.nullable(z.int().check(z.nonnegative()));
const rowSchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** The row's `updated_at`, normalised by SQLite to `YYYY-MM-DD HH:MM:SS` (UTC) whatever Goose wrote. */
  ts: z.string(),
  created_iso: z.nullable(z.string()),
  updated_iso: z.nullable(z.string()),
  name: z.nullable(z.string()),
  description: z.nullable(z.string()),
  working_dir: z.nullable(z.string()),
  session_type: z.nullable(z.string()),
  provider_name: z.nullable(z.string()),
  model_config_json: z.nullable(z.string()),
  input_tokens: count,
  output_tokens: count,
  accumulated_input_tokens: count,
  accumulated_output_tokens: count,
  accumulated_cost: z.nullable(z.number()),
});
type SessionRow = z.infer<typeof rowSchema>;

/**
 * Where reading stopped: the last `updated_at` second seen, and a fingerprint of every row of
 * that second. Goose stamps rows to the second, so a row rewritten within the second already
 * read is only found again by looking at that whole second and comparing fingerprints.
 */
const stateSchema = z.object({ since: z.string(), seen: z.record(z.string(), z.string()) });
type GooseState = z.infer<typeof stateSchema>;

const modelConfigSchema = z.object({ model_name: z.string().check(z.minLength(1)) });

function selectSql(columns: ReadonlySet<string>): string {
  const optional = OPTIONAL_COLUMNS.map((column) => (columns.has(column) ? `"${column}"` : `NULL AS "${column}"`));
  // datetime() reads both `2026-03-05 10:00:00` and `2026-03-05T10:00:00Z`; text order alone would not mix them.
  return `
SELECT * FROM (
  SELECT id, coalesce(datetime(updated_at), updated_at, '') AS ts,
    strftime('%Y-%m-%dT%H:%M:%fZ', created_at) AS created_iso, strftime('%Y-%m-%dT%H:%M:%fZ', updated_at) AS updated_iso,
    ${optional.join(', ')}
  FROM sessions)
WHERE ts > ? OR (ts = ? AND id > ?)
ORDER BY ts, id LIMIT ?`;
}

/** What the adapter would report for a row: a row rewritten without change is not reported twice. */
function fingerprint(row: SessionRow): string {
  const { ts: _ts, ...content } = row;
  return JSON.stringify(content);
}

function sessionEventOf(row: SessionRow): SessionEvent {
  const event: SessionEvent = { sessionId: row.id };
  if (row.working_dir) event.projectPath = row.working_dir;
  const title = row.name || row.description;
  if (title) event.title = title;
  if (row.created_iso) event.startedAt = row.created_iso;
  if (row.updated_iso) event.endedAt = row.updated_iso;
  const metadata: Record<string, unknown> = {};
  if (row.session_type) metadata.sessionType = row.session_type;
  if (row.provider_name) metadata.provider = row.provider_name;
  if (Object.keys(metadata).length > 0) event.metadata = metadata;
  return event;
}

function modelOf(row: SessionRow): { model: string } | { warning: ParseWarning } {
  const where = `goose session ${row.id}`;
  if (row.model_config_json === null) return { warning: { kind: 'missing-field', message: `${where} has usage but no model_config_json` } };
  let config: unknown;
  try {
    config = JSON.parse(row.model_config_json);
  } catch {
    return { warning: { kind: 'corrupt', message: `${where} has malformed JSON in model_config_json` } };
  }
  const parsed = modelConfigSchema.safeParse(config);
  if (!parsed.success) return { warning: { kind: 'missing-field', message: `${where} has no model_name in model_config_json` } };
  return { model: parsed.data.model_name };
}

/**
 * One session's usage, from its accumulated columns (falling back to the plain ones where a
 * row has no accumulated figure). Goose records no cache tokens; its input is priced as input.
 */
function usageOf(row: SessionRow): { record?: UsageRecord; warning?: ParseWarning } {
  const input = row.accumulated_input_tokens ?? row.input_tokens;
  const output = row.accumulated_output_tokens ?? row.output_tokens;
  if ((input ?? 0) + (output ?? 0) === 0) return {}; // a session that has not called a model yet
  const model = modelOf(row);
  if ('warning' in model) return { warning: model.warning };
  if (row.created_iso === null) return { warning: { kind: 'corrupt', message: `goose session ${row.id} has an unreadable created_at` } };
  const record: UsageRecord = {
    dedupKey: `goose:${row.id}`,
    sessionId: row.id,
    model: model.model,
    inputTokens: input ?? 0,
    outputTokens: output ?? 0,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    reasoningTokens: 0,
    // One record per session holds its running total: it belongs to the day the session began.
    recordedAt: row.created_iso,
  };
  if (row.provider_name) record.provider = row.provider_name;
  if (row.accumulated_cost !== null && row.accumulated_cost > 0) record.costUsd = row.accumulated_cost;
  return { record };
}

async function sessionColumns(ctx: PluginContext, file: string): Promise<Set<string>> {
  const rows = await ctx.sqlite.query<{ name: unknown }>(file, "SELECT name FROM pragma_table_info('sessions')");
  return new Set(rows.map((row) => String(row.name)));
}

function failed(file: string, message: string, state: unknown): ParseOutput {
  return { records: [], sessions: [], warnings: [{ kind: 'corrupt', message: `cannot read the Goose database ${file}: ${message}` }], state };
}

/**
 * Reads the sessions changed since `state`. Each session is one usage record keyed
 * `goose:<id>`; its totals only grow, so the source's `keep-larger` rule replaces the stored
 * record as the session goes on.
 */
export async function parseSessions(file: string, state: unknown, ctx: PluginContext): Promise<ParseOutput> {
  const previous = stateSchema.safeParse(state);
  const from: GooseState = previous.success ? previous.data : { since: '', seen: {} };
  try {
    const columns = await sessionColumns(ctx, file);
    if (!columns.has('id') || !columns.has('updated_at') || !columns.has('created_at')) {
      return failed(file, 'it has no sessions table with id, created_at and updated_at', from);
    }
    const sql = selectSql(columns);
    const output: Required<Pick<ParseOutput, 'records' | 'sessions' | 'warnings'>> = { records: [], sessions: [], warnings: [] };
    let since = from.since;
    let seen: Record<string, string> = { ...from.seen };
    let after = { ts: from.since, id: '' };
    for (let examined = 0; examined < MAX_ROWS_PER_PARSE; ) {
      const rows = await ctx.sqlite.query(file, sql, [after.ts, after.ts, after.id, PAGE_ROWS]);
      examined += rows.length;
      for (const raw of rows) {
        const position = { ts: String(raw.ts), id: String(raw.id) };
        after = position;
        if (position.ts !== since) {
          since = position.ts;
          seen = {};
        }
        const parsed = rowSchema.safeParse(raw);
        const print = parsed.success ? fingerprint(parsed.data) : JSON.stringify(raw);
        if (seen[position.id] === print) continue;
        seen[position.id] = print;
        if (!parsed.success) {
          output.warnings.push({ kind: 'corrupt', message: `goose session row ${position.id} has an unexpected shape` });
          continue;
        }
        output.sessions.push(sessionEventOf(parsed.data));
        const usage = usageOf(parsed.data);
        if (usage.record) output.records.push(usage.record);
        if (usage.warning) output.warnings.push(usage.warning);
      }
      if (rows.length < PAGE_ROWS) break;
    }
    const next: GooseState = { since, seen };
    return { ...output, state: next };
  } catch (error) {
    if (error instanceof CapabilityError && error.code === 'E2009') return failed(file, error.message, from);
    throw error;
  }
}
