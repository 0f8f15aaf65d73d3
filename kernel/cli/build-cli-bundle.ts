/**
 * `npm run build` step: bundles the compiled CLI (`dist/kernel/cli/main.js` and everything it
 * loads, our code and the pure-JS packages) into one file, `dist/cli/rimuru-kernel.js`, which
 * the bin loads with a V8 code cache (see `kernel/cli/bin/load-cli.js`).
 *
 * Why: every command used to spend ~350 ms before doing anything, resolving, reading and
 * compiling ~400 modules (our ~300 files, zod, knex, pino, commander…). One file with a code
 * cache loads in ~110 ms (measured on this 2-core machine: `require` of main.js 350 ms → bundle
 * 260 ms → bundle with code cache 107 ms), which is most of a warm `costs daily`.
 *
 * Packages with native code or optional drivers stay outside (`EXTERNAL`), loaded by `require`
 * as before. `dist/cli/inputs.json` records every bundled file of ours with its mtime: a `tsc`
 * run that rewrites one of them makes the bin fall back to `dist/kernel/cli/main.js` until the
 * next `npm run build`, so a stale bundle never runs.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { kernelPackageRoot } from './package-root';

const EXTERNAL = [
  // native addons
  'better-sqlite3',
  'isolated-vm',
  'esbuild',
  // loaded only when needed (PostgreSQL, a TypeScript config file, a pretty terminal)
  'pg',
  'pg-native',
  'typescript',
  'pino-pretty',
  // drivers knex can load but we never configure
  'mysql',
  'mysql2',
  'mariadb',
  'mariadb/*',
  'oracledb',
  'pg-query-stream',
  'tedious',
  'sqlite3',
];

async function bundleCli(): Promise<number> {
  const root = kernelPackageRoot();
  const outfile = join(root, 'dist', 'cli', 'rimuru-kernel.js');
  const result = await build({
    entryPoints: [join(root, 'dist', 'kernel', 'cli', 'main.js')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: EXTERNAL,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
  });
  // Our own compiled files, by path relative to the package, with the mtime they were bundled at.
  const inputs: Record<string, number> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = join(process.cwd(), input);
    const path = relative(root, file);
    if (!path.startsWith('dist/')) continue;
    inputs[path] = statSync(file).mtimeMs;
  }
  writeFileSync(join(root, 'dist', 'cli', 'inputs.json'), `${JSON.stringify(inputs)}\n`);
  process.stdout.write(`bundled the CLI into ${relative(root, outfile)} (${Object.keys(inputs).length} of our files)\n`);
  return 0;
}

bundleCli().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`could not bundle the CLI: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
