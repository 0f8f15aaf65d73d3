import type { IngestSource, ParseOutput, PluginContext } from '@rimuru/sdk';
import * as z from 'zod/mini';
import { joinPath } from './data-roots';
import { messageUsage } from './message-usage';
import { sessionEvent } from './session-event';

/**
 * The JSON storage OpenCode used before its SQLite database: one file per message under
 * `storage/message/<sessionID>/<messageID>.json` and one per session under
 * `storage/session/<projectID>/<sessionID>.json`.
 */
const MESSAGE_DIR = 'storage/message';
const SESSION_DIR = 'storage/session';

const legacySessionSchema = z.object({
  id: z.string().check(z.minLength(1)),
  projectID: z.nullish(z.string()),
  parentID: z.nullish(z.string()),
  directory: z.nullish(z.string()),
  title: z.nullish(z.string()),
  version: z.nullish(z.string()),
  time: z.nullish(z.object({ created: z.nullish(z.number()), updated: z.nullish(z.number()) })),
});

const legacyIdsSchema = z.object({ id: z.string().check(z.minLength(1)), sessionID: z.string().check(z.minLength(1)) });

async function jsonFilesTwoLevelsDown(ctx: PluginContext, dir: string): Promise<string[]> {
  const top = await ctx.fs.stat(dir);
  if (!top?.isDirectory) return [];
  const files: string[] = [];
  for (const group of await ctx.fs.list(dir)) {
    if (!group.isDirectory) continue;
    for (const entry of await ctx.fs.list(group.path)) {
      if (entry.isFile && entry.name.endsWith('.json')) files.push(entry.path);
    }
  }
  return files.sort();
}

/**
 * The legacy files under one data root, sessions first. Their conflict rule is `ignore`: a
 * message the database already holds (same dedup key) keeps the database's copy.
 */
export async function legacySources(ctx: PluginContext, root: string): Promise<IngestSource[]> {
  const sessions = await jsonFilesTwoLevelsDown(ctx, joinPath(root, SESSION_DIR));
  const messages = await jsonFilesTwoLevelsDown(ctx, joinPath(root, MESSAGE_DIR));
  return [...sessions, ...messages].map((path) => ({ id: path, kind: 'json', path, conflict: 'ignore' }));
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** One legacy file: a session's metadata, or one message's usage. */
export function parseLegacyFile(path: string, text: string | undefined): ParseOutput {
  const json = text === undefined ? { ok: false as const } : parseJson(text);
  if (!json.ok) return { records: [], sessions: [], warnings: [{ kind: 'corrupt', message: `opencode file ${path} is not valid JSON` }] };
  if (path.includes(`/${SESSION_DIR}/`)) {
    const session = legacySessionSchema.safeParse(json.value);
    if (!session.success) return { records: [], sessions: [], warnings: [{ kind: 'corrupt', message: `opencode session file ${path} has an unexpected shape` }] };
    const { id, projectID, parentID, directory, title, version, time } = session.data;
    return {
      records: [],
      sessions: [sessionEvent({ id, projectId: projectID, parentId: parentID, directory, title, version, createdMs: time?.created, updatedMs: time?.updated })],
    };
  }
  const ids = legacyIdsSchema.safeParse(json.value);
  if (!ids.success) return { records: [], sessions: [], warnings: [{ kind: 'missing-field', message: `opencode message file ${path} has no id or sessionID` }] };
  const usage = messageUsage(ids.data.id, ids.data.sessionID, json.value);
  return {
    records: usage.record ? [usage.record] : [],
    sessions: usage.session ? [usage.session] : [],
    warnings: usage.warning ? [usage.warning] : [],
  };
}
