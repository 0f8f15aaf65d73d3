import { CostRepository, Database, SessionRepository, type SessionStatus, type UsageRecordInput } from '../../../kernel/services/storage';

/**
 * Writes sessions and usage records straight into the store a CLI run will read (the SQLite
 * file in its data dir), through the storage repositories — the reports are tested on exactly
 * what an ingest would have stored, independently of the ingestion engine.
 */

export interface StoredSession {
  agent: string;
  /** The agent's own session id. */
  externalId: string;
  project?: string;
  startedAt: string;
  endedAt?: string;
  lastActivityAt?: string;
  status?: SessionStatus;
  title?: string;
}

export interface StoredRecord {
  key: string;
  agent: string;
  /** The agent's own session id. */
  session: string;
  model: string;
  /** ISO time. */
  at: string;
  input: number;
  output: number;
  cacheWrite?: number;
  cacheRead?: number;
  reasoning?: number;
  cost: number;
  /** The agent reported `cost` itself (else it was calculated at ingest). */
  reported?: boolean;
}

export async function openDataDirStore(dataDir: string): Promise<Database> {
  const database = await Database.connect({ dataDir, maxConnections: 1, minConnections: 0, connectTimeoutMs: 10_000, idleTimeoutMs: 30_000 });
  await database.runMigrations();
  return database;
}

export function toRecordInput(record: StoredRecord): UsageRecordInput {
  return {
    dedupKey: `${record.agent}:${record.key}`,
    sessionId: `${record.agent}:${record.session}`,
    agentType: record.agent,
    model: record.model,
    inputTokens: record.input,
    outputTokens: record.output,
    cacheWriteTokens: record.cacheWrite ?? 0,
    cacheReadTokens: record.cacheRead ?? 0,
    reasoningTokens: record.reasoning ?? 0,
    costUsd: record.cost,
    costSource: record.reported ? 'reported' : 'calculated',
    recordedAt: Date.parse(record.at),
  };
}

/** Stores the sessions and records in the data dir's store (created and migrated if new). */
export async function seedStore(dataDir: string, data: { sessions?: StoredSession[]; records?: StoredRecord[] }): Promise<void> {
  const database = await openDataDirStore(dataDir);
  try {
    const sessions = new SessionRepository(database);
    for (const session of data.sessions ?? []) {
      await sessions.save({
        id: `${session.agent}:${session.externalId}`,
        agentId: session.agent,
        agentType: session.agent,
        externalId: session.externalId,
        projectPath: session.project ?? null,
        title: session.title ?? null,
        status: session.status ?? 'completed',
        startedAt: Date.parse(session.startedAt),
        endedAt: session.endedAt === undefined ? null : Date.parse(session.endedAt),
        lastActivityAt: Date.parse(session.lastActivityAt ?? session.endedAt ?? session.startedAt),
      });
    }
    if (data.records && data.records.length > 0) await new CostRepository(database).saveMany(data.records.map(toRecordInput));
  } finally {
    await database.close();
  }
}
