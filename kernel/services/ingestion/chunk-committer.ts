import type { Logger } from 'pino';
import type { IngestSource } from '../../../sdk/src/kinds/adapter';
import type { UsageRecordInput } from '../storage/bulk';
import type { Database } from '../storage/database';
import { writeChunk, type ChunkResult } from './chunk-writer';
import type { IngestHooks } from './ingest-hooks';
import type { AdapterRun, ChunkWarnings, CommitStep, RunContext } from './ingest-run';
import { addCounts, totalOf } from './ingest-summary';
import { SessionDeltas } from './session-merge';
import type { UsagePricer } from './usage-pricer';

const MAX_WARNING_SAMPLES = 5;

/**
 * The write half of ingesting a chunk: turns what the adapter returned into priced usage
 * records and session deltas, writes them with the cursor in one transaction
 * ({@link writeChunk}), then adds to the run's summary and queues the hooks the commit caused.
 */
export class ChunkCommitter {
  constructor(
    private readonly database: Database,
    private readonly pricer: UsagePricer,
    private readonly hooks: IngestHooks,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Prices a parse output, writes it with the cursor in one transaction, then counts and queues hooks. Resolves to `null` when another ingest moved the cursor first. */
  async commit(run: AdapterRun, source: IngestSource, context: RunContext, step: CommitStep): Promise<ChunkResult | null> {
    const { agentType } = run.adapter;
    const { output, warnings } = step;
    const deltas = new SessionDeltas(agentType);
    const records: UsageRecordInput[] = [];
    const recordSessions = new Map<string, string>();
    const recordModels = new Map<string, string>();
    if (output !== null) {
      addCounts(warnings.counts, output.warnings);
      warnings.samples.push(...output.samples);
    }
    const dropped = (message: string): void => {
      warnings.counts['invalid-record'] = (warnings.counts['invalid-record'] ?? 0) + 1;
      if (warnings.samples.length < MAX_WARNING_SAMPLES) warnings.samples.push(`invalid-record: ${message}`);
    };
    for (const record of output?.records ?? []) {
      const recordedAt = Date.parse(record.recordedAt);
      const sessionId = deltas.idOf(record.sessionId);
      if (sessionId === null || recordedAt < 0) {
        dropped(sessionId === null ? `record ${record.dedupKey}: session id too long` : `record ${record.dedupKey}: recordedAt before 1970`);
        continue;
      }
      deltas.addRecord(record.sessionId, recordedAt);
      // Spelled out rather than spread: object spread costs microseconds a record, seconds a million.
      const input: UsageRecordInput = {
        dedupKey: record.dedupKey,
        sessionId,
        agentType,
        model: record.model,
        provider: record.provider ?? null,
        inputTokens: record.inputTokens,
        outputTokens: record.outputTokens,
        cacheWriteTokens: record.cacheWriteTokens,
        cacheWrite1hTokens: record.cacheWrite1hTokens ?? 0,
        cacheReadTokens: record.cacheReadTokens,
        reasoningTokens: record.reasoningTokens,
        costUsd: 0,
        costSource: 'calculated',
        recordedAt,
        flags: record.flags,
      };
      const priced = this.pricer.price(input, record.costUsd);
      if (priced.unknownModel !== undefined) context.unknownModels.add(priced.unknownModel);
      input.costUsd = priced.costUsd;
      input.costSource = priced.costSource;
      records.push(input);
      recordSessions.set(record.dedupKey, record.sessionId);
      recordModels.set(record.dedupKey, record.model);
    }
    for (const session of output?.sessions ?? []) {
      if (!deltas.addEvent(session)) dropped(`session ${session.sessionId}: id too long`);
    }
    step.tally.warnings += totalOf(warnings.counts);
    addCounts(step.tally.kinds, warnings.counts);

    const listening = this.hooks.listening('CostRecorded');
    const now = this.now();
    const result = await writeChunk(this.database, {
      expected: step.expected,
      next: { ...step.next, warnings: step.tally.warnings, warningKinds: { ...step.tally.kinds } as Record<string, number> },
      records,
      conflict: source.conflict ?? 'ignore',
      sessions: deltas.values(),
      now,
      fallbackTime: step.identity.mtimeMs,
      measureCostChanges: listening,
    });
    if (result === null) {
      this.log.debug({ plugin: run.adapter.plugin, source: source.id }, 'another ingest moved this cursor first; leaving the source to it');
      return null;
    }
    run.cursors.set(source.id, result.cursor);
    const { summary } = context;
    summary.records.inserted += result.upsert.inserted;
    summary.records.updated += result.upsert.updated;
    summary.records.unchanged += result.upsert.unchanged;
    context.progress.recordsWritten += result.upsert.inserted + result.upsert.updated;
    this.noteWarnings(run, source, warnings, context);

    for (const session of result.sessions) {
      if (session.previousStatus === null) {
        summary.sessions.created += 1;
        this.hooks.emit('SessionStart', {
          sessionId: session.externalId,
          agentType: session.agentType,
          ...(session.projectPath ? { projectPath: session.projectPath } : {}),
          startedAt: new Date(session.startedAt).toISOString(),
        });
      } else {
        summary.sessions.updated += 1;
        if (session.previousStatus === 'active' && session.status !== 'active') {
          summary.sessions.ended += 1;
          this.hooks.emit('SessionEnd', { sessionId: session.externalId, agentType: session.agentType, endedAt: new Date(now).toISOString(), status: session.status });
        }
      }
    }
    this.emitCostRecorded(agentType, result.costChanges, recordSessions, recordModels);
    return result;
  }

  /** One CostRecorded per session per chunk, for the records the chunk actually added or grew. */
  private emitCostRecorded(agentType: string, changes: Map<string, number>, sessions: Map<string, string>, models: Map<string, string>): void {
    if (changes.size === 0) return;
    const bySession = new Map<string, { costUsd: number; models: Map<string, number> }>();
    for (const [key, cost] of changes) {
      const sessionId = sessions.get(key);
      const model = models.get(key);
      if (sessionId === undefined || model === undefined) continue;
      let entry = bySession.get(sessionId);
      if (entry === undefined) {
        entry = { costUsd: 0, models: new Map() };
        bySession.set(sessionId, entry);
      }
      entry.costUsd += cost;
      entry.models.set(model, (entry.models.get(model) ?? 0) + cost);
    }
    for (const [sessionId, entry] of bySession) {
      // The payload names one model: the one that cost the most in this chunk.
      let model = '';
      let most = -Infinity;
      for (const [name, cost] of entry.models) {
        if (cost > most) {
          most = cost;
          model = name;
        }
      }
      this.hooks.emit('CostRecorded', { sessionId, agentType, model, costUsd: entry.costUsd });
    }
  }

  private noteWarnings(run: AdapterRun, source: IngestSource, chunk: ChunkWarnings, context: RunContext): void {
    if (totalOf(chunk.counts) === 0) return;
    let entry = context.warningsBySource.get(source.id);
    if (entry === undefined) {
      entry = { plugin: run.adapter.plugin, agentType: run.adapter.agentType, sourceId: source.id, path: source.path, counts: {}, samples: [] };
      context.warningsBySource.set(source.id, entry);
    }
    addCounts(entry.counts, chunk.counts);
    for (const sample of chunk.samples) if (entry.samples.length < MAX_WARNING_SAMPLES) entry.samples.push(sample);
  }
}
