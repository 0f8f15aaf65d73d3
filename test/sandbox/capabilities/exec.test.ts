import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import type { ExecResult } from '../../../sdk/src/capabilities';
import { makeHost, type HostFixture } from './host-fixture';

describe('exec capability', () => {
  let fx: HostFixture;

  beforeEach(async () => {
    fx = await makeHost({
      permissions: { exec: ['echo', 'env', 'sleep', 'pwd', 'head'], env: ['PLUGIN_TOKEN'] },
      env: { PATH: process.env.PATH, PLUGIN_TOKEN: 'visible', KERNEL_SECRET: 'hidden' },
      limits: { maxExecOutputBytes: 1024 },
    });
  });
  afterEach(async () => {
    await fx.dispose();
  });

  it('runs a listed binary', async () => {
    expect(await fx.call<ExecResult>('exec', 'run', { binary: 'echo', args: ['hello', 'world'] })).toEqual({
      exitCode: 0,
      signal: null,
      stdout: 'hello world\n',
      stderr: '',
      timedOut: false,
    });
  });

  it('refuses an unlisted binary', async () => {
    await expect(fx.call('exec', 'run', { binary: 'cat', args: ['/etc/passwd'] })).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
      message: expect.stringContaining('rimuru.permissions["exec"]'),
    });
  });

  it('passes arguments verbatim, with no shell to interpret $(...), ; or globs', async () => {
    const marker = path.join(fx.dir, 'pwned');
    const args = [`$(touch ${marker})`, ';', 'touch', marker, '&&', '`id`', '*', '$HOME'];
    const result = await fx.call<ExecResult>('exec', 'run', { binary: 'echo', args });
    expect(result.stdout).toBe(`${args.join(' ')}\n`);
    await expect(fsp.stat(marker)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives the child a minimal environment: PATH, HOME, LANG and the readable variables only', async () => {
    const result = await fx.call<ExecResult>('exec', 'run', { binary: 'env' });
    const names = result.stdout.trim().split('\n').map((line) => line.slice(0, line.indexOf('=')));
    expect(names.sort()).toEqual(['HOME', 'LANG', 'PATH', 'PLUGIN_TOKEN']);
    expect(result.stdout).toContain('PLUGIN_TOKEN=visible');
    expect(result.stdout).not.toContain('hidden');
    expect(result.stdout).toContain(`HOME=${fx.dir}`);
  });

  it('feeds input to stdin', async () => {
    const result = await fx.call<ExecResult>('exec', 'run', { binary: 'head', args: ['-c', '5'], input: 'abcdefgh' });
    expect(result.stdout).toBe('abcde');
  });

  it('kills a child that outlives its timeout and says so', async () => {
    const result = await fx.call<ExecResult>('exec', 'run', { binary: 'sleep', args: ['30'], timeoutMs: 100 });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
  });

  it('keeps only the first bytes of an endless output and kills the writer', async () => {
    const result = await fx.call<ExecResult>('exec', 'run', { binary: 'head', args: ['-c', '1000000', '/dev/zero'] });
    expect(result.stdout).toHaveLength(1024);
    expect(result.signal).toBe('SIGKILL');
  });

  it('runs in a cwd under a read root, and refuses one outside', async () => {
    const withRoot = await makeHost({ baseDir: fx.dir, permissions: { exec: ['pwd'], 'fs.read': [fx.dir] } });
    try {
      expect((await withRoot.call<ExecResult>('exec', 'run', { binary: 'pwd', cwd: fx.dir })).stdout).toBe(`${fx.dir}\n`);
      await expect(withRoot.call('exec', 'run', { binary: 'pwd', cwd: '/etc' })).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED });
    } finally {
      await withRoot.host.dispose();
    }
  });

  it('kills running children on dispose', async () => {
    // A unique duration lets the test find its own child among the machine's processes.
    const duration = `30.${process.pid}${Date.now() % 100000}`;
    const running = fx.call<ExecResult>('exec', 'run', { binary: 'sleep', args: [duration] });
    let pid: string | undefined;
    for (let attempt = 0; attempt < 500 && pid === undefined; attempt += 1) {
      pid = await findProcess(['sleep', duration]);
      if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(pid).toBeDefined();
    await fx.host.dispose();
    expect(await running).toMatchObject({ signal: 'SIGKILL', timedOut: false });
    expect(await findProcess(['sleep', duration])).toBeUndefined();
  });

  it('starts nothing for a call still being checked when the host is disposed', async () => {
    const running = fx.call('exec', 'run', { binary: 'sleep', args: ['30'] });
    await fx.host.dispose();
    await expect(running).rejects.toMatchObject({ code: ErrorCodes.SANDBOX_DISPOSED });
  });
});

/** The pid of a live process whose argv is exactly `argv`, read from /proc. */
async function findProcess(argv: string[]): Promise<string | undefined> {
  const wanted = `${argv.join('\0')}\0`;
  for (const entry of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fsp.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline === wanted) return entry;
  }
  return undefined;
}
