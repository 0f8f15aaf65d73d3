import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * The bin's loader (`kernel/cli/bin/load-cli.js`): the one-file bundle with a V8 code cache when
 * it is current, the plain compiled CLI when any file it was made from was rebuilt since.
 * Run in child processes, as the bin runs, against a small package laid out like ours.
 */

const LOADER = path.resolve(__dirname, '../../kernel/cli/bin/load-cli.js');
let root: string;
let cacheHome: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'rimuru-load-cli-'));
  cacheHome = path.join(root, 'cache');
  mkdirSync(path.join(root, 'dist', 'cli'), { recursive: true });
  mkdirSync(path.join(root, 'dist', 'kernel', 'cli'), { recursive: true });
  writeFileSync(path.join(root, 'dist', 'kernel', 'cli', 'main.js'), "exports.main = () => 'plain';\n");
  writeFileSync(path.join(root, 'dist', 'kernel', 'cli', 'part.js'), '// bundled into the bundle\n');
  // The bundle needs a working `require` (with resolve) and `module.exports`.
  writeFileSync(
    path.join(root, 'dist', 'cli', 'rimuru-kernel.js'),
    "const path = require('node:path'); module.exports.main = () => 'bundle:' + path.basename(__filename) + ':' + typeof require.resolve;\n",
  );
  writeFileSync(path.join(root, 'dist', 'cli', 'inputs.json'), JSON.stringify({ 'dist/kernel/cli/part.js': statSync(path.join(root, 'dist', 'kernel', 'cli', 'part.js')).mtimeMs }));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function load(env: Record<string, string> = {}): string {
  const result = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(LOADER)}).loadCli(${JSON.stringify(root)}).main())`], {
    env: { PATH: process.env.PATH, HOME: root, XDG_CACHE_HOME: cacheHome, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

function cacheFiles(): string[] {
  try {
    return readdirSync(path.join(cacheHome, 'rimuru', 'v8'));
  } catch {
    return [];
  }
}

describe('the CLI loader', () => {
  it('runs the bundle when it is current, and writes a code cache the next start uses', () => {
    expect(load()).toBe('bundle:rimuru-kernel.js:function');
    const [written] = cacheFiles();
    expect(written).toMatch(/^[0-9a-f]{32}\.bin$/);
    const before = statSync(path.join(cacheHome, 'rimuru', 'v8', written as string)).mtimeMs;
    expect(load()).toBe('bundle:rimuru-kernel.js:function');
    // Accepted, so not written again.
    expect(statSync(path.join(cacheHome, 'rimuru', 'v8', written as string)).mtimeMs).toBe(before);
    expect(statSync(path.join(cacheHome, 'rimuru', 'v8')).mode & 0o777).toBe(0o700);
  });

  it('falls back to the plain CLI when a bundled file was rebuilt since, or the bundle is missing', () => {
    const part = path.join(root, 'dist', 'kernel', 'cli', 'part.js');
    utimesSync(part, new Date(), new Date(Date.now() + 5_000));
    expect(load()).toBe('plain');
    rmSync(path.join(root, 'dist', 'cli'), { recursive: true });
    expect(load()).toBe('plain');
  });

  it('writes no cache with RIMURU_NO_COMPILE_CACHE, and a corrupt cache only costs the compile', () => {
    expect(load({ RIMURU_NO_COMPILE_CACHE: '1' })).toBe('bundle:rimuru-kernel.js:function');
    expect(cacheFiles()).toEqual([]);
    load();
    const [written] = cacheFiles();
    writeFileSync(path.join(cacheHome, 'rimuru', 'v8', written as string), 'not a code cache');
    expect(load()).toBe('bundle:rimuru-kernel.js:function');
  });
});
