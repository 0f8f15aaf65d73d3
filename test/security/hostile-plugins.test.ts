import { symlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ErrorCodes, RimuruError, type ErrorCode } from '../../kernel/core/errors';
import { rejectionOf, runPlugin, type PluginRun, type RunPluginOptions } from '../../sdk/src/testing';

/**
 * Every hostile fixture plugin runs in the real sandbox, with real capabilities and its own
 * manifest, beside one well-behaved plugin. Each must be contained with a specific code and a
 * message that names what it did, and the bystander must keep answering afterwards — and, for
 * the cases that hold an isolate busy, while it happens.
 */

const FIXTURES = path.resolve(__dirname, '../fixtures/plugins');

const runs: PluginRun[] = [];
let bystander: PluginRun;
let bystanderFile: string;

async function hostile(name: string, options: Omit<RunPluginOptions, 'pluginDir'> = {}): Promise<PluginRun> {
  const run = await runPlugin({ pluginDir: path.join(FIXTURES, name), ...options });
  runs.push(run);
  return run;
}


function expectContained(error: RimuruError, code: ErrorCode, ...mentions: string[]): void {
  expect({ code: error.code, message: error.message }).toEqual({ code, message: expect.any(String) });
  for (const mention of mentions) expect(error.message).toContain(mention);
}

async function expectBystanderAnswers(): Promise<void> {
  expect(bystander.plugin.disposed).toBe(false);
  expect(await bystander.plugin.invoke('ping')).toBe('pong');
  expect(await bystander.plugin.invoke('countLines', bystanderFile)).toBe(3);
  expect(await bystander.plugin.hook('SessionStart', { sessionId: 's-1', agentType: 'codex', startedAt: '2025-01-01T00:00:00Z' })).toEqual({
    type: 'continue',
  });
}

/** A loopback server that records requests and never answers them. */
async function silentServer(): Promise<{ url: string; requests: IncomingMessage[]; close(): Promise<void> }> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((request) => {
    requests.push(request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  bystander = await runPlugin({ pluginDir: path.join(FIXTURES, 'well-behaved'), files: { 'data/log.txt': 'a\nb\nc\n' } });
  bystanderFile = path.join(bystander.tmpDir, 'data/log.txt');
});

afterEach(async () => {
  for (const run of runs.splice(0)) await run.dispose();
  await expectBystanderAnswers();
});

afterAll(async () => {
  await bystander.dispose();
});

describe('hostile plugins are contained', () => {
  it('an infinite loop is stopped by the CPU limit (E2002) while the bystander keeps answering', async () => {
    const run = await hostile('infinite-loop');
    const [error] = await Promise.all([rejectionOf(run.plugin.invoke('spin')), expectBystanderAnswers()]);
    expectContained(error, ErrorCodes.SANDBOX_CPU_TIMEOUT, '@rimuru-fixture/infinite-loop', 'invoke(spin)', 'CPU limit of 200 ms');
    expect(run.plugin.disposed).toBe(true);
    expectContained(await rejectionOf(run.plugin.invoke('spin')), ErrorCodes.SANDBOX_DISPOSED, 'its sandbox was disposed');
  });

  it('a memory bomb is stopped by the memory limit (E2001)', async () => {
    const run = await hostile('memory-bomb');
    const [error] = await Promise.all([rejectionOf(run.plugin.invoke('bomb')), expectBystanderAnswers()]);
    expectContained(error, ErrorCodes.SANDBOX_MEMORY_LIMIT, '@rimuru-fixture/memory-bomb', 'memory limit of 32 MB');
    expect(run.plugin.disposed).toBe(true);
  });

  it('a read of /etc/passwd without permission is refused (E2004) and the plugin lives on', async () => {
    const run = await hostile('read-passwd');
    expectContained(await rejectionOf(run.plugin.invoke('steal')), ErrorCodes.PERMISSION_DENIED, '/etc/passwd');
    expectContained(await rejectionOf(run.plugin.invoke('peek')), ErrorCodes.PERMISSION_DENIED, '/etc/passwd');
    expect(run.plugin.disposed).toBe(false);
  });

  it('a path escape through ".." is refused (E2004)', async () => {
    const run = await hostile('path-escape', { files: { 'secret.txt': 'top secret', 'data/ok.txt': 'fine' } });
    const error = await rejectionOf(run.plugin.invoke('viaDotDot', run.tmpDir));
    expectContained(error, ErrorCodes.PERMISSION_DENIED, 'secret.txt');
    expect(error.message).not.toContain('top secret');
  });

  it('a path escape through a symlink to a file or a directory outside the grant is refused (E2004)', async () => {
    const run = await hostile('path-escape', { files: { 'secret.txt': 'top secret', 'data/ok.txt': 'fine' } });
    await symlink(path.join(run.tmpDir, 'secret.txt'), path.join(run.tmpDir, 'data/link'));
    await symlink(run.tmpDir, path.join(run.tmpDir, 'data/outside'));
    const viaFile = await rejectionOf(run.plugin.invoke('viaSymlink', run.tmpDir));
    expectContained(viaFile, ErrorCodes.PERMISSION_DENIED, 'link');
    expect(viaFile.message).not.toContain('top secret');
    expectContained(await rejectionOf(run.plugin.invoke('listThroughSymlinkDir', run.tmpDir)), ErrorCodes.PERMISSION_DENIED, 'outside');
  });

  it('a fetch to a host missing from `net` is refused (E2004) before any request is made', async () => {
    const server = await silentServer();
    try {
      const run = await hostile('unlisted-host');
      expectContained(await rejectionOf(run.plugin.invoke('exfiltrate', server.url)), ErrorCodes.PERMISSION_DENIED, '127.0.0.1');
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('a binary missing from `exec` is refused (E2004), by name and by absolute path', async () => {
    const run = await hostile('unlisted-binary');
    expectContained(await rejectionOf(run.plugin.invoke('shell')), ErrorCodes.PERMISSION_DENIED, 'sh');
    expectContained(await rejectionOf(run.plugin.invoke('absoluteShell')), ErrorCodes.PERMISSION_DENIED, '/bin/sh');
  });

  it('plugin code finds no host object: require, process, ivm, constructor chains, stack frames, dynamic import', async () => {
    const run = await hostile('host-objects');
    const probes = (await run.plugin.invoke('probe')) as Record<string, string>;
    expect(Object.keys(probes).length).toBeGreaterThanOrEqual(9);
    for (const [probe, outcome] of Object.entries(probes)) {
      expect({ probe, outcome }).toEqual({ probe, outcome: expect.not.stringMatching(/^found/) });
    }
    expect(await run.plugin.invoke('dynamicImport')).toMatch(/^(threw|nothing)/);
    const globals = (await run.plugin.invoke('globals')) as string[];
    for (const name of ['require', 'process', 'module', 'exports', 'global', 'Buffer', 'setTimeout', 'fetch', 'ivm', '_ivm']) {
      expect(globals).not.toContain(name);
    }
  });

  it('a throwing hook handler fails that hook (E2006) and the plugin keeps answering', async () => {
    const run = await hostile('throwing-hook');
    const error = await rejectionOf(run.plugin.hook('SessionStart', { sessionId: 's-42', agentType: 'codex', startedAt: '2025-01-01T00:00:00Z' }));
    expectContained(error, ErrorCodes.PLUGIN_THREW, '@rimuru-fixture/throwing-hook', 'hook SessionStart', 'refusing session s-42');
    expect(await run.plugin.invoke('ping')).toBe('still alive');
  });

  it('a hook handler stuck on a host call that never returns is stopped by the wall deadline (E2003)', async () => {
    const server = await silentServer();
    try {
      const run = await hostile('hanging-hook', { config: { url: server.url } });
      const hung = rejectionOf(run.plugin.hook('SessionEnd', { sessionId: 's-1', agentType: 'codex', endedAt: '2025-01-01T00:00:00Z', status: 'done' }));
      const [error] = await Promise.all([hung, expectBystanderAnswers()]);
      expectContained(error, ErrorCodes.SANDBOX_WALL_TIMEOUT, '@rimuru-fixture/hanging-hook', 'hook SessionEnd', 'deadline of 1000 ms');
      expect(run.plugin.disposed).toBe(true);
      // It really was waiting on the host: the request reached the silent server.
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('a 100 MB return value under the default memory limit is stopped before the host copies it', async () => {
    const run = await hostile('huge-return');
    const error = await rejectionOf(run.plugin.invoke('huge'));
    expect([ErrorCodes.SANDBOX_MEMORY_LIMIT, ErrorCodes.SANDBOX_RESULT_TOO_LARGE]).toContain(error.code);
    expect(error.message).toMatch(/memory limit of 64 MB|characters from invoke\(huge\)/);
    expect(run.plugin.disposed).toBe(true);
  });

  it('a 100 MB return value that fits in memory is refused by the result limit inside the isolate (E2005)', async () => {
    const run = await hostile('huge-return', { limits: { memoryMb: 512 } });
    const error = await rejectionOf(run.plugin.invoke('huge'));
    // Counted in characters: refused inside the isolate, never copied out to the host.
    expectContained(error, ErrorCodes.SANDBOX_RESULT_TOO_LARGE, 'invoke(huge)', 'characters', 'limit of 16777216 bytes');
    expect(run.plugin.disposed).toBe(true);
  });
});
