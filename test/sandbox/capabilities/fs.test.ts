import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import type { DirEntry, FileStat, ReadResult } from '../../../sdk/src/capabilities';
import { makeHost, makeTempDir, type HostFixture } from './host-fixture';

describe('fs capability', () => {
  let fx: HostFixture;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    const base = await makeTempDir('rimuru-fs-');
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await fsp.mkdir(path.join(root, 'projects', 'a'), { recursive: true });
    await fsp.mkdir(path.join(root, 'projects', 'b', 'deep'), { recursive: true });
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(root, 'projects', 'a', 's1.jsonl'), '{"n":1}\n');
    await fsp.writeFile(path.join(root, 'projects', 'b', 's2.jsonl'), '{"n":2}\n');
    await fsp.writeFile(path.join(root, 'projects', 'b', 'deep', 's3.jsonl'), '{"n":3}\n');
    await fsp.writeFile(path.join(root, 'projects', 'b', 'notes.txt'), 'x');
    await fsp.writeFile(path.join(outside, 'secret.jsonl'), 'secret\n');
    fx = await makeHost({ baseDir: base, permissions: { 'fs.read': [root], 'fs.write': [path.join(root, 'out')] } });
  });
  afterEach(async () => {
    await fx.dispose();
    await fsp.rm(path.dirname(root), { recursive: true, force: true });
  });

  it('refuses to read /etc/passwd without permission', async () => {
    await expect(fx.call('fs', 'read', { path: '/etc/passwd' })).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
      message: expect.stringContaining('rimuru.permissions["fs.read"]'),
    });
  });

  it('reads a byte range, in utf8 or base64, and reports eof', async () => {
    const file = path.join(root, 'projects', 'a', 's1.jsonl');
    expect(await fx.call<ReadResult>('fs', 'read', { path: file, offset: 1, length: 3 })).toEqual({ data: '"n"', bytesRead: 3, eof: false });
    expect(await fx.call<ReadResult>('fs', 'read', { path: file, offset: 5, encoding: 'base64' })).toEqual({
      data: Buffer.from('1}\n').toString('base64'),
      bytesRead: 3,
      eof: true,
    });
  });

  it('clamps a read to the host limit', async () => {
    const capped = await makeHost({ permissions: { 'fs.read': [root] }, limits: { maxReadBytes: 4 } });
    try {
      const result = await capped.call<ReadResult>('fs', 'read', { path: path.join(root, 'projects', 'a', 's1.jsonl'), length: 1000 });
      expect(result).toEqual({ data: '{"n"', bytesRead: 4, eof: false });
    } finally {
      await capped.dispose();
    }
  });

  it('refuses a symlink inside the root that points outside it', async () => {
    await fsp.symlink(outside, path.join(root, 'escape'));
    await expect(fx.call('fs', 'read', { path: path.join(root, 'escape', 'secret.jsonl') })).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
    });
    await expect(fx.call('fs', 'read', { path: `${root}/../outside/secret.jsonl` })).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
    });
  });

  it('stats files and answers null for a missing one under a root', async () => {
    const stat = await fx.call<FileStat>('fs', 'stat', { path: path.join(root, 'projects', 'a', 's1.jsonl') });
    expect(stat).toMatchObject({ isFile: true, isDirectory: false, size: 8 });
    expect(await fx.call('fs', 'stat', { path: path.join(root, 'nope', 'x') })).toBeNull();
    await expect(fx.call('fs', 'stat', { path: path.join(outside, 'nope') })).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED });
  });

  it('lists a directory; a symlink pointing outside shows as neither file nor directory', async () => {
    await fsp.symlink(path.join(outside, 'secret.jsonl'), path.join(root, 'projects', 'b', 'link-out'));
    await fsp.symlink(path.join(root, 'projects', 'a', 's1.jsonl'), path.join(root, 'projects', 'b', 'link-in'));
    const entries = await fx.call<DirEntry[]>('fs', 'list', { dir: path.join(root, 'projects', 'b') });
    expect(entries).toEqual([
      { name: 'deep', path: path.join(root, 'projects', 'b', 'deep'), isFile: false, isDirectory: true },
      { name: 'link-in', path: path.join(root, 'projects', 'b', 'link-in'), isFile: true, isDirectory: false },
      { name: 'link-out', path: path.join(root, 'projects', 'b', 'link-out'), isFile: false, isDirectory: false },
      { name: 'notes.txt', path: path.join(root, 'projects', 'b', 'notes.txt'), isFile: true, isDirectory: false },
      { name: 's2.jsonl', path: path.join(root, 'projects', 'b', 's2.jsonl'), isFile: true, isDirectory: false },
    ]);
  });

  it('lists with each entry\'s size and mtime when asked (stat: true); never for a link that points outside', async () => {
    await fsp.symlink(path.join(outside, 'secret.jsonl'), path.join(root, 'projects', 'b', 'link-out'));
    await fsp.symlink(path.join(root, 'projects', 'a', 's1.jsonl'), path.join(root, 'projects', 'b', 'link-in'));
    const dir = path.join(root, 'projects', 'b');
    const entries = await fx.call<DirEntry[]>('fs', 'list', { dir, stat: true });
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    const notes = await fsp.stat(path.join(dir, 'notes.txt'));
    expect(byName.get('notes.txt')).toEqual({ name: 'notes.txt', path: path.join(dir, 'notes.txt'), isFile: true, isDirectory: false, size: 1, mtimeMs: notes.mtimeMs });
    expect(byName.get('s2.jsonl')?.size).toBe(8);
    expect(byName.get('deep')?.mtimeMs).toBe((await fsp.stat(path.join(dir, 'deep'))).mtimeMs);
    expect(byName.get('link-in')?.size).toBe(8);
    expect(byName.get('link-out')).toEqual({ name: 'link-out', path: path.join(dir, 'link-out'), isFile: false, isDirectory: false });
    // Without it, a listing stays names and kinds.
    expect((await fx.call<DirEntry[]>('fs', 'list', { dir })).some((entry) => 'size' in entry)).toBe(false);
    await expect(fx.call('fs', 'list', { dir, stat: 'yes' })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST });
  });

  it('refuses a directory with more entries than the limit', async () => {
    const capped = await makeHost({ permissions: { 'fs.read': [root] }, limits: { maxListEntries: 2 } });
    try {
      await expect(capped.call('fs', 'list', { dir: path.join(root, 'projects', 'b') })).rejects.toMatchObject({
        code: ErrorCodes.SANDBOX_RESULT_TOO_LARGE,
      });
    } finally {
      await capped.dispose();
    }
  });

  it('globs with **, * and ?, without entering a symlinked directory that leaves the root', async () => {
    await fsp.symlink(outside, path.join(root, 'projects', 'escape'));
    expect(await fx.call('fs', 'glob', { root: path.join(root, 'projects'), pattern: '**/*.jsonl' })).toEqual([
      path.join(root, 'projects', 'a', 's1.jsonl'),
      path.join(root, 'projects', 'b', 'deep', 's3.jsonl'),
      path.join(root, 'projects', 'b', 's2.jsonl'),
    ]);
    expect(await fx.call('fs', 'glob', { root: path.join(root, 'projects'), pattern: '*/s?.jsonl' })).toEqual([
      path.join(root, 'projects', 'a', 's1.jsonl'),
      path.join(root, 'projects', 'b', 's2.jsonl'),
    ]);
    expect(await fx.call<string[]>('fs', 'glob', { root: path.join(root, 'projects'), pattern: '**/*', maxResults: 2 })).toHaveLength(2);
  });

  it('refuses a glob walk wider than the directory budget', async () => {
    const capped = await makeHost({ permissions: { 'fs.read': [root] }, limits: { maxGlobDirectories: 2 } });
    try {
      await expect(capped.call('fs', 'glob', { root, pattern: '**/*.jsonl' })).rejects.toMatchObject({ code: ErrorCodes.SANDBOX_RESULT_TOO_LARGE });
    } finally {
      await capped.dispose();
    }
  });

  it('writes and appends under fs.write roots only, creating parent directories', async () => {
    const target = path.join(root, 'out', 'reports', 'r.csv');
    await fx.call('fs', 'writeFile', { path: target, data: 'a,b\n' });
    await fx.call('fs', 'appendFile', { path: target, data: '1,2\n' });
    expect(await fsp.readFile(target, 'utf8')).toBe('a,b\n1,2\n');
    await fx.call('fs', 'writeFile', { path: target, data: 'new\n' });
    expect(await fsp.readFile(target, 'utf8')).toBe('new\n');
    await expect(fx.call('fs', 'writeFile', { path: path.join(root, 'projects', 'x'), data: 'x' })).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
      message: expect.stringContaining('rimuru.permissions["fs.write"]'),
    });
  });

  it('does not write through a symlink planted in a write root', async () => {
    await fsp.mkdir(path.join(root, 'out'));
    await fsp.symlink(path.join(outside, 'secret.jsonl'), path.join(root, 'out', 'planted'));
    await expect(fx.call('fs', 'writeFile', { path: path.join(root, 'out', 'planted'), data: 'pwned' })).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
    });
    expect(await fsp.readFile(path.join(outside, 'secret.jsonl'), 'utf8')).toBe('secret\n');
  });

  it('refuses reading a directory or a FIFO as a file instead of hanging', async () => {
    await expect(fx.call('fs', 'read', { path: path.join(root, 'projects') })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_FAILED });
    const fifo = path.join(root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(fx.call('fs', 'readLines', { path: fifo })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_FAILED });
  });

  it('rejects malformed arguments with E2010 naming the method', async () => {
    await expect(fx.call('fs', 'read', { path: path.join(root, 'x'), offset: -1 })).rejects.toMatchObject({
      code: ErrorCodes.CAPABILITY_BAD_REQUEST,
      message: expect.stringContaining('fs.read'),
    });
    await expect(fx.call('fs', 'read', { path: 'a\0b' })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST });
    await expect(fx.call('fs', 'read', { path: path.join(root, 'x'), bogus: 1 })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST });
  });
});
