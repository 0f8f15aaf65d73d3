import { defineAdapter } from '@rimuru/sdk';
import { databaseCandidates, existingDatabases } from './database-location';
import { parseSessions } from './sessions-source';

function parentDir(file: string): string {
  return file.slice(0, file.lastIndexOf('/'));
}

/**
 * Goose (block/goose). Usage is kept per session in `sessions.db`, as running totals: one
 * record per session, replaced as the totals grow.
 */
export default defineAdapter({
  async discover(ctx) {
    const found = await existingDatabases(ctx);
    const paths = (found.length > 0 ? found : await databaseCandidates(ctx)).map(parentDir);
    return { installed: found.length > 0, paths: [...new Set(paths)] };
  },

  async sources(ctx) {
    return (await existingDatabases(ctx)).map((path) => ({ id: path, kind: 'sqlite' as const, path, conflict: 'keep-larger' as const }));
  },

  async parse(input, ctx) {
    return parseSessions(input.source.path, input.state, ctx);
  },
});
