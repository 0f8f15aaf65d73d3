/**
 * Per-test plugin runs for adapter tests: `start` runs the plugin in the real sandbox
 * (`runPlugin`) and `scratchDir` makes a temp dir outside it; both are cleaned up after each
 * test of the calling `describe`.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runPlugin, type PluginRun, type RunPluginOptions } from '@rimuru/sdk/testing';

export interface PluginRuns {
  start(options?: Omit<RunPluginOptions, 'pluginDir'>): Promise<PluginRun>;
  scratchDir(): string;
}

export function usePluginRuns(pluginDir: string): PluginRuns {
  const runs: PluginRun[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const run of runs.splice(0)) await run.dispose();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    async start(options = {}) {
      const run = await runPlugin({ ...options, pluginDir });
      runs.push(run);
      return run;
    },
    scratchDir() {
      const dir = realpathSync(mkdtempSync(path.join(tmpdir(), `rimuru-${path.basename(pluginDir)}-`)));
      dirs.push(dir);
      return dir;
    },
  };
}
