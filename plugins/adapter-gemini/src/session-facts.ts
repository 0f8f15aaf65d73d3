import type { SessionEvent } from '@rimuru/sdk';
import type { ChatFile } from './chat-files';
import { isJsonObject, isoTime, nonEmptyString, type JsonObject } from './json-fields';

/** What the recording says about its session: the header line (or legacy document) and later `$set` patches. */
export interface SessionFacts {
  sessionId?: string;
  projectHash?: string;
  startedAt?: string;
  lastUpdated?: string;
  title?: string;
  kind?: string;
  /** The first workspace directory, which sub-agent recordings list. */
  directory?: string;
  /** The project directory, from the slug's `.project_root` or `projects.json` (filled in by the plugin). */
  projectPath?: string;
}

const FACT_KEYS = ['sessionId', 'projectHash', 'startedAt', 'lastUpdated', 'title', 'kind', 'directory', 'projectPath'] as const;

/** A header line: `{sessionId, projectHash, startTime, lastUpdated, kind?, directories?}`. */
export function isHeader(value: JsonObject): boolean {
  return typeof value.sessionId === 'string' && typeof value.projectHash === 'string' && value.id === undefined && value.$set === undefined;
}

/** Folds a header or a `$set` patch into the facts (later values win, as Gemini CLI merges them). */
export function applyMetadata(facts: SessionFacts, patch: JsonObject): void {
  const sessionId = nonEmptyString(patch.sessionId);
  if (sessionId !== undefined) facts.sessionId = sessionId;
  const projectHash = nonEmptyString(patch.projectHash);
  if (projectHash !== undefined) facts.projectHash = projectHash;
  const startedAt = isoTime(patch.startTime);
  if (startedAt !== undefined) facts.startedAt = startedAt;
  const lastUpdated = isoTime(patch.lastUpdated);
  if (lastUpdated !== undefined) facts.lastUpdated = lastUpdated;
  const title = nonEmptyString(patch.summary);
  if (title !== undefined) facts.title = title;
  const kind = nonEmptyString(patch.kind);
  if (kind !== undefined) facts.kind = kind;
  const directory = Array.isArray(patch.directories) ? nonEmptyString(patch.directories[0]) : undefined;
  if (directory !== undefined) facts.directory = directory;
}

export function sessionIdOf(facts: SessionFacts, file: ChatFile): string {
  return facts.sessionId ?? file.stem;
}

export function sessionEventOf(facts: SessionFacts, file: ChatFile, extra: Record<string, unknown>): SessionEvent {
  const session: SessionEvent = { sessionId: sessionIdOf(facts, file) };
  const projectPath = facts.projectPath ?? facts.directory;
  if (projectPath !== undefined) session.projectPath = projectPath;
  if (facts.startedAt !== undefined) session.startedAt = facts.startedAt;
  if (facts.title !== undefined) session.title = facts.title;
  const metadata: Record<string, unknown> = { ...extra };
  if (facts.projectHash !== undefined) metadata.projectHash = facts.projectHash;
  if (facts.kind !== undefined) metadata.kind = facts.kind;
  if (facts.lastUpdated !== undefined) metadata.lastUpdated = facts.lastUpdated;
  if (file.parentSessionId !== undefined) metadata.parentSessionId = file.parentSessionId;
  session.metadata = metadata;
  return session;
}

/** The facts carried in a parse state, checked field by field. */
export function readFacts(previous: unknown): SessionFacts {
  const facts: SessionFacts = {};
  if (!isJsonObject(previous)) return facts;
  for (const key of FACT_KEYS) {
    const value = nonEmptyString(previous[key]);
    if (value !== undefined) facts[key] = value;
  }
  return facts;
}
