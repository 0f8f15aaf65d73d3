import type { Knex } from 'knex';
import type { Dialect } from '../database/raw-connection';
import { numberOf, rawRows } from '../repositories/row-values';
import { ROLLUP_BUCKET_MS, SQLITE_FOLDED_UP_TO } from './usage-rollups';
import { DAY_MS, spansAlignTo, type OffsetSpan } from './zoned-periods';

/** Which usage records to add up; times are epoch ms, `[from, to)`, `null` = unbounded. */
export interface UsageQuery {
  from: number | null;
  to: number | null;
  agents?: readonly string[];
  models?: readonly string[];
  projectPath?: string;
  sessionId?: string;
}

/** What to group the sums by. `localDays` groups by day number in the zone the spans describe. */
export interface UsageGrouping {
  localDays?: readonly OffsetSpan[];
  agent?: boolean;
  model?: boolean;
}

/** Summed columns, as numbers. */
export interface UsageSums {
  records: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  costUsd: number;
}

export interface UsageGroupRow extends UsageSums {
  day: number | null;
  agentType: string | null;
  model: string | null;
}

const SUMMED = ['input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_read_tokens', 'reasoning_tokens', 'cost_usd'] as const;
// Keeps integer division a floor for the first days of 1970 in zones west of UTC.
const DAY_SHIFT = 7;
// Over this span a SQLite range read of the rollups scans the table instead of probing the index
// row by row (an index range over most of the table is several times slower than a scan).
const SQLITE_SCAN_ROLLUPS_OVER_MS = 31 * DAY_MS;

function int(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not a safe integer: ${value}`);
  return String(value);
}

/** SQL for the local day number of epoch-ms expression `t`, given the zone's offset spans. */
export function localDaySql(t: string, spans: readonly OffsetSpan[]): string {
  const last = spans[spans.length - 1] as OffsetSpan;
  const offset =
    spans.length === 1
      ? int(last.offsetMs)
      : `case ${spans
          .slice(0, -1)
          .map((span) => `when ${t} < ${int(span.end)} then ${int(span.offsetMs)}`)
          .join(' ')} else ${int(last.offsetMs)} end`;
  return `((${t} + ${offset} + ${int(DAY_SHIFT * DAY_MS)}) / ${int(DAY_MS)} - ${DAY_SHIFT})`;
}

interface Part {
  sql: string;
  bindings: Knex.Value[];
}

function inList(column: string, values: readonly string[] | undefined, where: string[], bindings: Knex.Value[]): void {
  if (values === undefined) return;
  if (values.length === 0) {
    where.push('1 = 0');
    return;
  }
  where.push(`${column} in (${values.map(() => '?').join(', ')})`);
  bindings.push(...values);
}

function timeBetween(column: string, from: number | null, to: number | null, where: string[]): void {
  if (from !== null) where.push(`${column} >= ${int(from)}`);
  if (to !== null) where.push(`${column} < ${int(to)}`);
}

/** Raw records, one row each, over every `[from, to)` of `windows`, plus `extra` conditions. */
function rawPart(
  query: UsageQuery,
  windows: ReadonlyArray<readonly [number | null, number | null]>,
  extra: string[],
  timeColumn = 'u.recorded_at',
): Part {
  const where: string[] = [...extra];
  const bindings: Knex.Value[] = [];
  const ors = windows.map(([from, to]) => {
    const conditions: string[] = [];
    timeBetween(timeColumn, from, to, conditions);
    return conditions.length === 0 ? '1 = 1' : conditions.join(' and ');
  });
  where.push(ors.length === 1 ? (ors[0] as string) : `(${ors.map((or) => `(${or})`).join(' or ')})`);
  inList('u.agent_type', query.agents, where, bindings);
  inList('u.model', query.models, where, bindings);
  if (query.sessionId !== undefined) {
    where.push('u.session_id = ?');
    bindings.push(query.sessionId);
  }
  let from = 'usage_records u';
  if (query.projectPath !== undefined) {
    from += ' join sessions s on s.id = u.session_id';
    where.push('s.project_path = ?');
    bindings.push(query.projectPath);
  }
  return {
    sql: `select u.recorded_at as t, u.agent_type, u.model, 1 as n, ${SUMMED.map((column) => `u.${column}`).join(', ')} from ${from} where ${where.join(' and ')}`,
    bindings,
  };
}

function rollupPart(query: UsageQuery, firstBucket: number | null, endBucket: number | null, dialect: Dialect): Part {
  const where: string[] = [];
  const bindings: Knex.Value[] = [];
  const wide =
    firstBucket === null || endBucket === null || (endBucket - firstBucket) * ROLLUP_BUCKET_MS > SQLITE_SCAN_ROLLUPS_OVER_MS;
  // `+bucket` tells SQLite not to use the index for this condition (see SQLITE_SCAN_ROLLUPS_OVER_MS).
  const bucket = dialect === 'sqlite' && wide ? '+r.bucket' : 'r.bucket';
  timeBetween(bucket, firstBucket, endBucket, where);
  inList('r.agent_type', query.agents, where, bindings);
  inList('r.model', query.models, where, bindings);
  return {
    sql:
      `select r.bucket * ${ROLLUP_BUCKET_MS} as t, r.agent_type, r.model, r.record_count as n, ${SUMMED.map((column) => `r.${column}`).join(', ')} ` +
      `from usage_rollups r${where.length > 0 ? ` where ${where.join(' and ')}` : ''}`,
    bindings,
  };
}

/**
 * The parts whose union is every matching record exactly once. With the rollups: whole quarter
 * hours inside the range from `usage_rollups`, the ragged edges from raw records, and on SQLite
 * the records not folded in yet (above the watermark) from raw records. Without them (a
 * project or session filter, or a zone whose offsets are not whole quarter hours): raw only.
 */
function sourceParts(query: UsageQuery, dialect: Dialect, useRollups: boolean): Part[] {
  if (!useRollups) return [rawPart(query, [[query.from, query.to]], [])];
  const firstBucket = query.from === null ? null : Math.ceil(query.from / ROLLUP_BUCKET_MS);
  const endBucket = query.to === null ? null : Math.floor(query.to / ROLLUP_BUCKET_MS);
  const folded = dialect === 'sqlite' ? [`u.id <= ${SQLITE_FOLDED_UP_TO}`] : [];
  const parts: Part[] = [];
  if (firstBucket !== null && endBucket !== null && endBucket <= firstBucket) {
    // The whole range lies within one or two quarter hours: raw records only.
    parts.push(rawPart(query, [[query.from, query.to]], folded));
  } else {
    parts.push(rollupPart(query, firstBucket, endBucket, dialect));
    const edges: Array<readonly [number, number]> = [];
    if (query.from !== null && firstBucket !== null && query.from < firstBucket * ROLLUP_BUCKET_MS) {
      edges.push([query.from, firstBucket * ROLLUP_BUCKET_MS]);
    }
    if (query.to !== null && endBucket !== null && endBucket * ROLLUP_BUCKET_MS < query.to) {
      edges.push([endBucket * ROLLUP_BUCKET_MS, query.to]);
    }
    if (edges.length > 0) parts.push(rawPart(query, edges, folded));
  }
  // `+u.recorded_at` keeps SQLite off the time index here: the unfolded records are the few
  // above the watermark (found by rowid), and walking the whole time index to find them cost
  // 57 ms of a 90 ms report over 1M records even with nothing pending.
  if (dialect === 'sqlite') parts.push(rawPart(query, [[query.from, query.to]], [`u.id > ${SQLITE_FOLDED_UP_TO}`], '+u.recorded_at'));
  return parts;
}

/**
 * Sums of usage records matching `query`, grouped as asked, in one statement (so on SQLite the
 * watermark, the rollups and the raw records are read from one snapshot). Returns one row per
 * group that has records; with no grouping, exactly one row (zeros when nothing matches).
 */
export async function queryUsageGroups(knex: Knex, dialect: Dialect, query: UsageQuery, grouping: UsageGrouping = {}): Promise<UsageGroupRow[]> {
  const spans = grouping.localDays;
  const useRollups =
    query.projectPath === undefined && query.sessionId === undefined && (spans === undefined || spansAlignTo(spans, ROLLUP_BUCKET_MS));
  const parts = sourceParts(query, dialect, useRollups);
  const keys: string[] = [];
  if (spans !== undefined) keys.push(`${localDaySql('x.t', spans)} as day`);
  if (grouping.agent === true) keys.push('x.agent_type as agent_type');
  if (grouping.model === true) keys.push('x.model as model');
  const sums = `sum(x.n) as n, ${SUMMED.map((column) => `sum(x.${column}) as ${column}`).join(', ')}`;
  const sql =
    `select ${[...keys, sums].join(', ')} from (${parts.map((part) => part.sql).join(' union all ')}) x` +
    (keys.length > 0 ? ` group by ${keys.map((_, index) => index + 1).join(', ')} having sum(x.n) <> 0` : '');
  const result: unknown = await knex.raw(sql, parts.flatMap((part) => part.bindings));
  return rawRows(result).map((row) => ({
    day: spans === undefined ? null : numberOf(row.day),
    agentType: grouping.agent === true ? String(row.agent_type) : null,
    model: grouping.model === true ? String(row.model) : null,
    ...usageSumsOf(row),
  }));
}

/** The sums of a row with columns `n` and the summed columns' names. */
export function usageSumsOf(row: Record<string, unknown>): UsageSums {
  return {
    records: numberOf(row.n),
    inputTokens: numberOf(row.input_tokens),
    outputTokens: numberOf(row.output_tokens),
    cacheWriteTokens: numberOf(row.cache_write_tokens),
    cacheReadTokens: numberOf(row.cache_read_tokens),
    reasoningTokens: numberOf(row.reasoning_tokens),
    costUsd: numberOf(row.cost_usd),
  };
}
