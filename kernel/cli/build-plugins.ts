/**
 * `npm run build` step: bundles every built-in plugin in `plugins/` into its `main` file, so
 * a fresh clone's `npm install` leaves runnable plugins behind.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildPluginDir } from './commands/plugin';
import { kernelPackageRoot } from './package-root';

async function buildAll(): Promise<number> {
  const pluginsDir = join(kernelPackageRoot(), 'plugins');
  const dirs = existsSync(pluginsDir)
    ? readdirSync(pluginsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(pluginsDir, entry.name, 'src', 'plugin.ts')))
        .map((entry) => join(pluginsDir, entry.name))
    : [];
  let failed = 0;
  for (const dir of dirs) {
    try {
      const result = await buildPluginDir(dir);
      process.stdout.write(`  bundled ${result.name}@${result.version} (${result.bytes} bytes)\n`);
    } catch (error) {
      failed += 1;
      process.stderr.write(`  failed to bundle ${dir}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  process.stdout.write(`built ${dirs.length - failed} of ${dirs.length} plugins\n`);
  return failed === 0 ? 0 : 1;
}

buildAll().then((code) => process.exit(code));
