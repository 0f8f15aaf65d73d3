import { defineAdapter } from '@rimuru/sdk';
import { parseComposers } from './composer-source';
import { globalDatabase, installedUserDirs, parentDir, userDirs } from './user-dirs';

/**
 * Cursor. Sessions are its composers, read from the global `state.vscdb`; tokens only where
 * Cursor recorded them locally. What Cursor charged comes from the dashboard's usage CSV
 * (`rimuru-kernel agents import cursor <file.csv>`).
 */
export default defineAdapter({
  async discover(ctx) {
    const found = await installedUserDirs(ctx);
    return { installed: found.length > 0, paths: found.length > 0 ? found : await userDirs(ctx) };
  },

  async sources(ctx) {
    return (await installedUserDirs(ctx)).map((dir) => {
      const path = globalDatabase(dir);
      return { id: path, kind: 'sqlite' as const, path, conflict: 'keep-larger' as const };
    });
  },

  async parse(input, ctx) {
    // <User dir>/globalStorage/state.vscdb
    const userDir = parentDir(parentDir(input.source.path));
    return parseComposers(input.source.path, userDir, input.state, ctx);
  },
});
