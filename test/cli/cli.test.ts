import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from '../../kernel/services/storage/migrations';
import { runCli, startCli } from './cli-process';

/**
 * The CLI as a user meets it: the built bin in a child process, a temp data dir, the built-in
 * plugins of this checkout. Exit codes: 0 ok, 1 failure, 2 usage, 78 config.
 */

let tmp: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rimuru-cli-'));
  env = { PATH: process.env.PATH, HOME: tmp, RIMURU_DATA_DIR: path.join(tmp, 'data'), RIMURU_LOG_LEVEL: 'warn' };
});

afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, env, tmp);

describe('rimuru-kernel CLI', () => {
  it('prints its version and help, and exits 0', async () => {
    const version = await cli('--version');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const command of ['run', 'status', 'plugin']) expect(help.stdout).toContain(command);
    const pluginHelp = await cli('plugin', '--help');
    for (const command of ['list', 'info', 'enable', 'disable', 'build']) expect(pluginHelp.stdout).toContain(command);
  });

  it('exits 2 on usage errors and says what was wrong', async () => {
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const missing = await cli('plugin', 'info');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'name'/);
    const badLevel = await cli('--log-level', 'loud', 'status');
    expect(badLevel.code).toBe(2);
  });

  it('exits 78 with the file, key and expectation on an invalid config', async () => {
    await fs.writeFile(path.join(tmp, 'rimuru.config.json'), JSON.stringify({ logLevel: 'loud' }));
    delete env.RIMURU_LOG_LEVEL; // the environment would override the file's value
    const result = await cli('status');
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/E4001 .*rimuru\.config\.json: logLevel: expected one of .*got "loud"/s);
  });

  it('exits 1 with the known names when a plugin does not exist', async () => {
    const result = await cli('plugin', 'info', 'no-such-plugin');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/E3005 No plugin named "no-such-plugin"\. Known plugins: .*@rimuru\/example-hello/);
  });

  it('lists, describes, disables and re-enables plugins, persisting the choice', async () => {
    const list = JSON.parse((await cli('plugin', 'list', '--json')).stdout) as { plugins: Array<{ name: string; state: string; kind: string }> };
    expect(list.plugins).toContainEqual(expect.objectContaining({ name: '@rimuru/example-hello', state: 'enabled', kind: 'hook' }));

    const info = JSON.parse((await cli('plugin', 'info', '@rimuru/example-hello', '--json')).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ kind: 'hook', engines: '^1.0.0', limits: expect.objectContaining({ memoryMb: 16 }) });
    expect(info.integrity).toMatch(/^[0-9a-f]{64}$/);

    expect((await cli('plugin', 'disable', '@rimuru/example-hello')).code).toBe(0);
    const after = JSON.parse((await cli('plugin', 'list', '--json')).stdout) as typeof list;
    expect(after.plugins.find((p) => p.name === '@rimuru/example-hello')?.state).toBe('disabled');
    expect((await cli('plugin', 'enable', '@rimuru/example-hello', '--json')).stdout).toMatch(/"state": "enabled"/);
  });

  it('reports the store: SQLite by default, an unreachable PostgreSQL as exit 1 with the coded error and no password', async () => {
    const names = MIGRATIONS.map((m) => m.name);
    expect((await cli('db', 'migrate')).stdout.trim()).toBe(`applied ${names.join(', ')}`);
    const status = JSON.parse((await cli('status', '--json')).stdout) as { storage: Record<string, unknown> };
    expect(status.storage).toMatchObject({ dialect: 'sqlite', ok: true, location: path.join(tmp, 'data', 'rimuru.db') });

    expect((await cli('db', 'migrate')).stdout.trim()).toBe(`schema up to date (${names.at(-1)})`);
    const db = JSON.parse((await cli('db', 'status', '--json')).stdout) as Record<string, unknown>;
    expect(db).toMatchObject({ ok: true, schema: { pending: [], unknown: [] } });

    env.RIMURU_DATABASE_URL = 'postgres://postgres:hunter2@127.0.0.1:1/nowhere';
    const down = await cli('status');
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/storage: +postgres — UNREACHABLE: E1001 .*127\.0\.0\.1:1/);
    expect(down.stdout + down.stderr).not.toContain('hunter2');
    const run = await cli('run');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rimuru-kernel: E1001 /);
  });

  it('runs: loads the built-in plugins, reports itself in status, and stops cleanly on SIGINT', async () => {
    const kernel = await startCli(['run'], env, tmp, /rimuru-kernel ready/);
    expect(kernel.output().stdout).toMatch(/✓ @rimuru\/example-hello@1\.0\.0 running/);
    expect(kernel.output().stdout).toMatch(/ready in \d+ ms: \d+ running, 0 disabled, 0 failed/);

    const status = JSON.parse((await cli('status', '--json')).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ running: true, pid: kernel.child.pid, database: 'sqlite' });

    kernel.child.kill('SIGINT');
    const result = await kernel.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/rimuru-kernel stopped \(SIGINT\)/);
    expect(JSON.parse((await cli('status', '--json')).stdout)).toMatchObject({ running: false });
  });

  it('runs with --json: one ready event per line, then a stopped event on SIGTERM', async () => {
    const kernel = await startCli(['run', '--json'], env, tmp, /"event":"ready"/);
    const ready = JSON.parse(kernel.output().stdout.split('\n')[0]!) as { summary: { running: number }; plugins: unknown[] };
    expect(ready.summary.running).toBeGreaterThan(0);
    kernel.child.kill('SIGTERM');
    const result = await kernel.exited;
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').pop()).toBe('{"event":"stopped","signal":"SIGTERM"}');
  });
});
