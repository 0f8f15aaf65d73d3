import type { SessionEvent } from '@rimuru/sdk';

/** The session fields the database's `session` table and a legacy `storage/session` file share. */
export interface OpenCodeSession {
  id: string;
  parentId?: string | null;
  directory?: string | null;
  title?: string | null;
  version?: string | null;
  projectId?: string | null;
  createdMs?: number | null;
  updatedMs?: number | null;
}

/** An OpenCode session as a Rimuru session event: its last update is its last activity. */
export function sessionEvent(session: OpenCodeSession): SessionEvent {
  const event: SessionEvent = { sessionId: session.id };
  if (session.directory) event.projectPath = session.directory;
  if (session.title) event.title = session.title;
  if (typeof session.createdMs === 'number') event.startedAt = new Date(session.createdMs).toISOString();
  if (typeof session.updatedMs === 'number') event.endedAt = new Date(session.updatedMs).toISOString();
  const metadata: Record<string, unknown> = {};
  if (session.parentId) metadata.parentSessionId = session.parentId;
  if (session.version) metadata.opencodeVersion = session.version;
  if (session.projectId) metadata.projectId = session.projectId;
  if (Object.keys(metadata).length > 0) event.metadata = metadata;
  return event;
}
