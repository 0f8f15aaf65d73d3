/**
 * Drives an adapter plugin the way the ingestion engine does — `sources`, then `parse` per source
 * in order (a JSON file's whole text; a database drained call after call with the state each
 * call returned, until the state stops moving) — and keeps its records as the store would: one per dedup key under the
 * source's conflict rule. Adapter tests use it to check what a plugin hands the host; the
 * engine's own tests check the engine.
 */
import { readFileSync } from 'node:fs';
import type { IngestSource, ParseOutput, ParseWarning, SessionEvent, UsageRecord } from '@rimuru/sdk';
import type { TestPluginHandle } from '@rimuru/sdk/testing';
import { addUsage, ZERO_TOTALS, type ExpectedUsage } from '../fixtures/agents/expected-usage';
import { snapshotCostUsd } from '../fixtures/agents/snapshot-prices';

export interface AdapterReading {
  sources: IngestSource[];
  /** By dedup key, after each source's conflict rule. */
  records: Map<string, UsageRecord>;
  sessions: SessionEvent[];
  warnings: ParseWarning[];
  /** `parse` calls per source id. */
  calls: Map<string, number>;
  /** The last state each source returned. */
  states: Map<string, unknown>;
}

const tokenTotal = (r: UsageRecord): number => r.inputTokens + r.outputTokens + r.cacheWriteTokens + r.cacheReadTokens;

/** Stores records the way `upsertUsageRecords` does: `ignore` keeps the first, `keep-larger` the larger. */
export function keepRecords(into: Map<string, UsageRecord>, records: readonly UsageRecord[], conflict: IngestSource['conflict'] = 'ignore'): void {
  for (const record of records) {
    const stored = into.get(record.dedupKey);
    if (!stored || (conflict === 'keep-larger' && tokenTotal(record) > tokenTotal(stored))) into.set(record.dedupKey, record);
  }
}

/** Parses one source to its end: a database until its state stops moving. */
export async function readSource(plugin: TestPluginHandle, source: IngestSource, state?: unknown): Promise<ParseOutput[]> {
  if (source.kind === 'json') return [await plugin.invoke<ParseOutput>('parse', { source, text: readFileSync(source.path, 'utf8') })];
  if (source.kind !== 'sqlite') throw new Error(`readSource: ${source.kind} sources are read by the engine's line reader`);
  const outputs: ParseOutput[] = [];
  let current = state;
  for (let call = 0; call < 1_000; call++) {
    const output = await plugin.invoke<ParseOutput>('parse', { source, state: current });
    outputs.push(output);
    // Like the engine: an adapter whose state did not move has nothing more to give.
    const done = JSON.stringify(output.state) === JSON.stringify(current);
    current = output.state;
    if (done) return outputs;
  }
  throw new Error(`readSource: ${source.id} never ran dry`);
}

/** Everything the adapter reports, read the engine's way. Pass `states` to continue from an earlier reading. */
export async function readEverything(plugin: TestPluginHandle, previous?: AdapterReading): Promise<AdapterReading> {
  const sources = await plugin.invoke<IngestSource[]>('sources');
  const reading: AdapterReading = { sources, records: new Map(), sessions: [], warnings: [], calls: new Map(), states: new Map() };
  for (const source of sources) {
    const outputs = await readSource(plugin, source, previous?.states.get(source.id));
    reading.calls.set(source.id, outputs.length);
    reading.states.set(source.id, outputs.at(-1)?.state);
    for (const output of outputs) {
      keepRecords(reading.records, output.records, source.conflict);
      reading.sessions.push(...output.sessions);
      reading.warnings.push(...(output.warnings ?? []));
    }
  }
  return reading;
}

/** What a record costs: the agent's figure when it reported one, else the snapshot price. */
export function recordCostUsd(record: UsageRecord): number {
  return record.costUsd ?? snapshotCostUsd(record.model, record);
}

export interface ReadingTotals {
  totals: ExpectedUsage;
  byDay: Record<string, ExpectedUsage>;
  byModel: Record<string, ExpectedUsage>;
}

/** Sums records the way the fixtures' expectations are summed (UTC days, models as logged). */
export function totalsOf(records: Iterable<UsageRecord>): ReadingTotals {
  const result: ReadingTotals = { totals: { ...ZERO_TOTALS }, byDay: {}, byModel: {} };
  for (const record of records) {
    const usage = { ...record, costUsd: recordCostUsd(record) };
    addUsage(result.totals, usage);
    addUsage((result.byDay[record.recordedAt.slice(0, 10)] ??= { ...ZERO_TOTALS }), usage);
    addUsage((result.byModel[record.model] ??= { ...ZERO_TOTALS }), usage);
  }
  return result;
}

/** Token counts exactly and cost to the cent, so one assertion says which figure is off. */
export function roundedUsage(usage: ExpectedUsage): ExpectedUsage {
  return { ...usage, costUsd: Math.round(usage.costUsd * 100) / 100 };
}

/** Each entry of a by-day or by-model table, rounded like {@link roundedUsage}. */
export function roundedTable(table: Record<string, ExpectedUsage>): Record<string, ExpectedUsage> {
  return Object.fromEntries(Object.entries(table).map(([key, usage]) => [key, roundedUsage(usage)]));
}

/** Warnings by kind, in the shape of a fixture's `skipped` (long lines are the host's to count). */
export function warningCounts(warnings: readonly ParseWarning[]): { corrupt: number; unknownType: number; missingField: number; other: number } {
  const count = (kind: ParseWarning['kind']): number => warnings.filter((warning) => warning.kind === kind).length;
  return { corrupt: count('corrupt'), unknownType: count('unknown-type'), missingField: count('missing-field'), other: count('other') };
}
