/**
 * Feeds jsonl sources to an adapter running in the real sandbox the way the ingestion engine
 * hands them over — complete lines only (a partial last line waits), lines over the engine's
 * limit skipped and counted, the `lineContains` pre-filter, bounded chunks with `state` carried
 * from one `parse` to the next — and de-duplicates the records by `dedupKey` under each
 * source's conflict rule (as `adapter-reading` does for json and sqlite sources). Used by the
 * Claude Code and Codex adapter tests to check `parse` on its own; the end-to-end test runs the engine.
 */
import { readFileSync } from 'node:fs';
import type { IngestSource, ParseOutput, SessionEvent, UsageRecord } from '@rimuru/sdk';
import type { TestPluginHandle } from '@rimuru/sdk/testing';
import { addUsage, ZERO_TOTALS, type ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { snapshotCostUsd } from '../../fixtures/agents/snapshot-prices';
import { keepRecords } from '../adapter-reading';

export interface FeedOptions {
  /** Lines per `parse` call (small values exercise the state carried across chunks). Default 500. */
  chunkLines?: number;
  /** Longest line handed over, in bytes. Default 8 MiB (the engine's default). */
  maxLineBytes?: number;
}

export interface FeedResult {
  /** One record per dedup key, as the store would keep it. */
  records: UsageRecord[];
  /** Records as `parse` returned them, before de-duplication. */
  returned: number;
  /** Sessions merged across chunks: earliest start, latest end. */
  sessions: Map<string, SessionEvent>;
  warnings: { corrupt: number; 'missing-field': number; 'unknown-type': number; other: number };
  hugeLines: number;
  /** `parse` calls made. */
  calls: number;
}

const NEWLINE = 0x0a;

export async function feedJsonlSources(plugin: TestPluginHandle, sources: readonly IngestSource[], options: FeedOptions = {}): Promise<FeedResult> {
  const chunkLines = options.chunkLines ?? 500;
  const maxLineBytes = options.maxLineBytes ?? 8 * 1024 * 1024;
  const kept = new Map<string, UsageRecord>();
  const result: FeedResult = {
    records: [],
    returned: 0,
    sessions: new Map(),
    warnings: { corrupt: 0, 'missing-field': 0, 'unknown-type': 0, other: 0 },
    hugeLines: 0,
    calls: 0,
  };
  for (const source of sources) {
    const bytes = readFileSync(source.path);
    let start = 0;
    let state: unknown;
    let chunk: string[] = [];
    let chunkOffset = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const output = await plugin.invoke<ParseOutput>('parse', { source, lines: chunk, offset: chunkOffset, state });
      result.calls += 1;
      state = output.state;
      absorb(result, kept, output, source.conflict ?? 'ignore');
      chunk = [];
    };
    for (let end = bytes.indexOf(NEWLINE, start); end !== -1; start = end + 1, end = bytes.indexOf(NEWLINE, start)) {
      if (end - start > maxLineBytes) {
        result.hugeLines += 1;
        continue;
      }
      const line = bytes.subarray(start, end).toString('utf8');
      if (source.lineContains !== undefined && !source.lineContains.some((needle) => line.includes(needle))) continue;
      if (chunk.length === 0) chunkOffset = start;
      chunk.push(line);
      if (chunk.length >= chunkLines) await flush();
    }
    await flush();
  }
  result.records = [...kept.values()];
  return result;
}

function absorb(result: FeedResult, kept: Map<string, UsageRecord>, output: ParseOutput, conflict: 'ignore' | 'keep-larger'): void {
  result.returned += output.records.length;
  keepRecords(kept, output.records, conflict);
  for (const session of output.sessions) {
    const known = result.sessions.get(session.sessionId);
    if (known === undefined) {
      result.sessions.set(session.sessionId, { ...session });
      continue;
    }
    if (session.startedAt !== undefined && (known.startedAt === undefined || session.startedAt < known.startedAt)) known.startedAt = session.startedAt;
    if (session.endedAt !== undefined && (known.endedAt === undefined || session.endedAt > known.endedAt)) known.endedAt = session.endedAt;
    known.projectPath ??= session.projectPath;
  }
  for (const warning of output.warnings ?? []) result.warnings[warning.kind] += 1;
}

/**
 * Totals of stored records in the fixture's shape. Cost: the agent's own figure when it
 * reported one, else the snapshot reference price (× `fastMultiplier` for a fast-mode call).
 */
export function summarise(
  records: readonly UsageRecord[],
  fastMultiplier: (model: string) => number = () => 1,
): { totals: ExpectedUsage; byDay: Record<string, ExpectedUsage>; byModel: Record<string, ExpectedUsage> } {
  const totals: ExpectedUsage = { ...ZERO_TOTALS };
  const byDay: Record<string, ExpectedUsage> = {};
  const byModel: Record<string, ExpectedUsage> = {};
  for (const record of records) {
    const calculated = snapshotCostUsd(record.model, record) * (record.flags?.includes('fast') ? fastMultiplier(record.model) : 1);
    const usage = { ...record, costUsd: record.costUsd ?? calculated };
    addUsage(totals, usage);
    addUsage((byDay[record.recordedAt.slice(0, 10)] ??= { ...ZERO_TOTALS }), usage);
    addUsage((byModel[record.model] ??= { ...ZERO_TOTALS }), usage);
  }
  return { totals, byDay, byModel };
}
