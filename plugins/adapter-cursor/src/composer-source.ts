import { CapabilityError, type ParseOutput, type ParseWarning, type PluginContext, type SessionEvent, type UsageRecord } from '@rimuru/sdk';
import * as z from 'zod/mini';
import { composerFolders } from './workspace-folders';

/** Composers fetched per query. */
const PAGE_ROWS = 500;
/** Composers one `parse` call looks at; the engine calls again while the state moves. */
const MAX_COMPOSERS_PER_PARSE = 5_000;

// Values are read as text whatever their storage class: SQLite's JSON functions take a BLOB for
// JSONB. A malformed value comes back with a NULL `info`; `ts` is epoch ms (Cursor writes numbers).
const COMPOSERS_AFTER = `
SELECT * FROM (
  SELECT substr(key, 14) AS id, coalesce(CASE WHEN json_valid(v) THEN CAST(coalesce(v ->> '$.lastUpdatedAt', v ->> '$.createdAt') AS INTEGER) END, 0) AS ts,
    CASE WHEN json_valid(v) THEN json_object(
      'createdAt', v -> '$.createdAt', 'lastUpdatedAt', v -> '$.lastUpdatedAt', 'name', v -> '$.name',
      'modelName', v -> '$.modelConfig.modelName', 'status', v -> '$.status', 'mode', v -> '$.unifiedMode',
      'inline', json_array_length(v, '$.conversation')) END AS info
  FROM (SELECT key, CAST(value AS TEXT) AS v FROM cursorDiskKV WHERE key >= 'composerData:' AND key < 'composerData;'))
WHERE ts > ? OR (ts = ? AND id > ?)
ORDER BY ts, id LIMIT ?`;

// Bubbles of one composer that carry a token count (Cursor leaves most at zero locally).
const BUBBLE_INFO = `CASE WHEN json_valid(v) THEN json_object('createdAt', v -> '$.createdAt', 'tokenCount', v -> '$.tokenCount', 'modelName', v -> '$.modelInfo.modelName') END`;
const HAS_TOKENS = `(NOT json_valid(v) OR coalesce(v ->> '$.tokenCount.inputTokens', 0) + coalesce(v ->> '$.tokenCount.outputTokens', 0) > 0)`;
const BUBBLES_OF = `
SELECT substr(key, ?) AS id, ${BUBBLE_INFO} AS info
FROM (SELECT key, CAST(value AS TEXT) AS v FROM cursorDiskKV WHERE key >= ? AND key < ?)
WHERE ${HAS_TOKENS} ORDER BY key`;
// Builds before the split into bubbleId keys kept the conversation inside the composer.
const INLINE_BUBBLES_OF = `
SELECT coalesce(v ->> '$.bubbleId', '#' || k) AS id, ${BUBBLE_INFO} AS info
FROM (SELECT j.key AS k, j.value AS v FROM cursorDiskKV, json_each(CAST(cursorDiskKV.value AS TEXT), '$.conversation') AS j WHERE cursorDiskKV.key = ?)
WHERE ${HAS_TOKENS}`;

const epochOrIso = z.union([z.number(), z.string()]);
const composerInfoSchema = z.object({
  createdAt: z.nullable(epochOrIso),
  lastUpdatedAt: z.nullable(epochOrIso),
  name: z.nullable(z.string()),
  modelName: z.nullable(z.string()),
  status: z.nullable(z.string()),
  mode: z.nullable(z.string()),
  inline: z.nullable(z.number()),
});
type ComposerInfo = z.infer<typeof composerInfoSchema>;
const count = z.int().check(z.nonnegative());
const bubbleInfoSchema = z.object({
  createdAt: z.nullable(epochOrIso),
  tokenCount: z.object({ inputTokens: z.optional(count), outputTokens: z.optional(count) }),
  modelName: z.nullable(z.string()),
});
const rowSchema = z.object({ id: z.string(), ts: z.number(), info: z.nullable(z.string()) });

/** Same scheme as the composers' `lastUpdatedAt`: the last instant read, and what each composer of that instant looked like. */
const stateSchema = z.object({ since: z.number(), seen: z.record(z.string(), z.string()) });
type CursorState = z.infer<typeof stateSchema>;

function isoOf(value: number | string | null): string | undefined {
  if (value === null) return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

interface ChangedComposer {
  id: string;
  info: ComposerInfo;
}

async function bubbleUsage(ctx: PluginContext, file: string, composer: ChangedComposer, into: Required<Pick<ParseOutput, 'records' | 'warnings'>>): Promise<void> {
  const prefix = `bubbleId:${composer.id}:`;
  const rows = composer.info.inline
    ? await ctx.sqlite.query(file, INLINE_BUBBLES_OF, [`composerData:${composer.id}`])
    : await ctx.sqlite.query(file, BUBBLES_OF, [prefix.length + 1, prefix, `bubbleId:${composer.id};`]);
  for (const raw of rows) {
    const where = `cursor bubble ${String(raw.id)} of composer ${composer.id}`;
    const info = typeof raw.info === 'string' ? bubbleInfoSchema.safeParse(JSON.parse(raw.info)) : null;
    if (info === null) {
      into.warnings.push({ kind: 'corrupt', message: `${where} is not valid JSON` });
      continue;
    }
    if (!info.success) {
      into.warnings.push({ kind: 'corrupt', message: `${where} has an unreadable tokenCount` });
      continue;
    }
    const { createdAt, tokenCount, modelName } = info.data;
    const recordedAt = isoOf(createdAt);
    const model = modelName || composer.info.modelName;
    if (!recordedAt || !model) {
      into.warnings.push({ kind: 'missing-field', message: `${where} has tokens but no ${recordedAt ? 'model' : 'createdAt'}` });
      continue;
    }
    into.records.push({
      dedupKey: `cursor:${composer.id}:${String(raw.id)}`,
      sessionId: composer.id,
      model,
      inputTokens: tokenCount.inputTokens ?? 0,
      outputTokens: tokenCount.outputTokens ?? 0,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
      reasoningTokens: 0,
      recordedAt,
    });
  }
}

function sessionOf(composer: ChangedComposer, folder: string | undefined): SessionEvent {
  const { info } = composer;
  const event: SessionEvent = { sessionId: composer.id };
  if (folder) event.projectPath = folder;
  if (info.name) event.title = info.name;
  const startedAt = isoOf(info.createdAt);
  const endedAt = isoOf(info.lastUpdatedAt ?? info.createdAt);
  if (startedAt) event.startedAt = startedAt;
  if (endedAt) event.endedAt = endedAt;
  const metadata: Record<string, unknown> = {};
  if (info.modelName) metadata.model = info.modelName;
  if (info.status) metadata.status = info.status;
  if (info.mode) metadata.mode = info.mode;
  if (Object.keys(metadata).length > 0) event.metadata = metadata;
  return event;
}

/**
 * Reads the composers (Cursor's chat and agent sessions) changed since `state` from the global
 * `state.vscdb`, with the project folder each was opened in, and the token counts Cursor filled
 * in for their bubbles — one record per bubble, `keep-larger` as a count may still grow. Costs
 * are left to the cost engine here: Cursor's own figures arrive through the dashboard CSV.
 */
export async function parseComposers(file: string, userDir: string, state: unknown, ctx: PluginContext): Promise<ParseOutput> {
  const previous = stateSchema.safeParse(state);
  const from: CursorState = previous.success ? previous.data : { since: -1, seen: {} };
  const output: Required<Pick<ParseOutput, 'records' | 'sessions' | 'warnings'>> = { records: [], sessions: [], warnings: [] };
  try {
    const changed: ChangedComposer[] = [];
    let since = from.since;
    let seen: Record<string, string> = { ...from.seen };
    let after = { ts: from.since, id: '' };
    for (let examined = 0; examined < MAX_COMPOSERS_PER_PARSE; ) {
      const rows = await ctx.sqlite.query(file, COMPOSERS_AFTER, [after.ts, after.ts, after.id, PAGE_ROWS]);
      examined += rows.length;
      for (const raw of rows) {
        const row = rowSchema.safeParse(raw);
        if (!row.success) continue; // ids and timestamps are SQLite's own projections: always this shape
        const { id, ts, info } = row.data;
        after = { ts, id };
        if (ts !== since) {
          since = ts;
          seen = {};
        }
        const print = info ?? 'malformed';
        if (seen[id] === print) continue;
        seen[id] = print;
        const parsed = info === null ? null : composerInfoSchema.safeParse(JSON.parse(info));
        if (parsed === null || !parsed.success) {
          output.warnings.push({ kind: 'corrupt', message: `cursor composer ${id} ${parsed === null ? 'is not valid JSON' : 'has an unexpected shape'}` });
          continue;
        }
        changed.push({ id, info: parsed.data });
      }
      if (rows.length < PAGE_ROWS) break;
    }
    const folders = await composerFolders(ctx, userDir, new Set(changed.map((composer) => composer.id)));
    for (const composer of changed) {
      output.sessions.push(sessionOf(composer, folders.get(composer.id)));
      await bubbleUsage(ctx, file, composer, output);
    }
    const next: CursorState = { since, seen };
    return { ...output, state: next };
  } catch (error) {
    if (!(error instanceof CapabilityError && error.code === 'E2009')) throw error;
    const warning: ParseWarning = { kind: 'corrupt', message: `cannot read the Cursor database ${file}: ${error.message}` };
    return { records: [], sessions: [], warnings: [warning], state: from };
  }
}
