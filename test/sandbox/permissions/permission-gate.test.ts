import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, PermissionDeniedError } from '../../../kernel/core/errors';
import { PermissionGate } from '../../../sandbox/permissions';
import type { PluginPermissions } from '../../../sdk/src/manifest';

async function denial(promise: Promise<unknown>): Promise<PermissionDeniedError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PermissionDeniedError)) throw new Error(`expected a PermissionDeniedError, got ${String(error)}`);
  return error;
}

describe('PermissionGate — paths', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    base = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'rimuru-gate-')));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await fsp.mkdir(path.join(root, 'sub'), { recursive: true });
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(root, 'sub', 'a.txt'), 'inside');
    await fsp.writeFile(path.join(outside, 'secret.txt'), 'secret');
  });
  afterEach(async () => {
    await fsp.rm(base, { recursive: true, force: true });
  });

  const gate = (permissions: PluginPermissions, env: Record<string, string | undefined> = {}, homeDir = '/nonexistent-home') =>
    new PermissionGate({ plugin: 'test-plugin', permissions, env, homeDir });

  it('allows a file under a root and returns its real path', async () => {
    expect(await gate({ 'fs.read': [root] }).checkPath('fs.read', path.join(root, 'sub', 'a.txt'))).toBe(
      path.join(root, 'sub', 'a.txt'),
    );
  });

  it('refuses /etc/passwd without permission, naming plugin, capability, path and fix', async () => {
    const error = await denial(gate({ 'fs.read': [root] }).checkPath('fs.read', '/etc/passwd'));
    expect(error.code).toBe(ErrorCodes.PERMISSION_DENIED);
    expect(error.message).toContain('"test-plugin"');
    expect(error.message).toContain('fs.read');
    expect(error.message).toContain('/etc/passwd');
    expect(error.message).toContain(`add it to rimuru.permissions["fs.read"] in the plugin's package.json`);
  });

  it('grants nothing when the key is absent', async () => {
    await denial(gate({}).checkPath('fs.read', path.join(root, 'sub', 'a.txt')));
  });

  it('refuses root/../outside', async () => {
    await denial(gate({ 'fs.read': [root] }).checkPath('fs.read', `${root}/../outside/secret.txt`));
  });

  it('refuses a symlink inside the root that points outside, and a new file below it', async () => {
    await fsp.symlink(outside, path.join(root, 'escape'));
    const g = gate({ 'fs.read': [root], 'fs.write': [root] });
    await denial(g.checkPath('fs.read', path.join(root, 'escape', 'secret.txt')));
    await denial(g.checkPath('fs.write', path.join(root, 'escape', 'not-yet', 'new.txt')));
  });

  it('refuses a sibling whose name merely starts with the root name', async () => {
    await fsp.mkdir(`${root}-evil`);
    await denial(gate({ 'fs.read': [root] }).checkPath('fs.read', `${root}-evil`));
  });

  it('accepts a root that is itself a symlink, through either spelling', async () => {
    const linkRoot = path.join(base, 'link-root');
    await fsp.symlink(root, linkRoot);
    const g = gate({ 'fs.read': [linkRoot] });
    expect(await g.checkPath('fs.read', path.join(linkRoot, 'sub', 'a.txt'))).toBe(path.join(root, 'sub', 'a.txt'));
    expect(await g.checkPath('fs.read', path.join(root, 'sub', 'a.txt'))).toBe(path.join(root, 'sub', 'a.txt'));
  });

  it('expands $VAR, ${VAR} and ~ in roots, and ~ in requests', async () => {
    const g = gate({ 'fs.read': ['$DATA/sub', '${OTHER}', '~/sub'] }, { DATA: root, OTHER: outside }, root);
    await expect(g.checkPath('fs.read', path.join(root, 'sub', 'a.txt'))).resolves.toBeDefined();
    await expect(g.checkPath('fs.read', path.join(outside, 'secret.txt'))).resolves.toBeDefined();
    await expect(g.checkPath('fs.read', '~/sub/a.txt')).resolves.toBe(path.join(root, 'sub', 'a.txt'));
  });

  it('drops an entry whose variable is unset (instead of granting / or the cwd)', async () => {
    const g = gate({ 'fs.read': ['$UNSET_ROOT', '$UNSET_ROOT/sub', '${ALSO_UNSET}'] }, {});
    await denial(g.checkPath('fs.read', '/etc/passwd'));
    await denial(g.checkPath('fs.read', path.join(root, 'sub', 'a.txt')));
  });

  it('grants each item of a comma-separated list variable ($VAR[,], as CLAUDE_CONFIG_DIR may be), and nothing else', async () => {
    const g = gate({ 'fs.read': ['$DIRS[,]', '${SUBS}[,]/sub'] }, { DIRS: ` ${path.join(root, 'sub')} , , relative/dir,$HOME`, SUBS: root }, root);
    expect(g.identity().roots['fs.read']).toEqual([path.join(root, 'sub'), path.join(root, 'sub')]);
    await expect(g.checkPath('fs.read', path.join(root, 'sub', 'a.txt'))).resolves.toBeDefined();
    await denial(g.checkPath('fs.read', path.join(outside, 'secret.txt')));
    // A list variable that is unset or empty grants nothing; without [,] a list is one (bad) path.
    expect(gate({ 'fs.read': ['$DIRS[,]'] }, {}).identity().roots['fs.read']).toEqual([]);
    expect(gate({ 'fs.read': ['$DIRS'] }, { DIRS: `${root},${outside}` }).identity().roots['fs.read']).toEqual([`${root},${outside}`]);
  });

  it('refuses relative paths', async () => {
    const error = await denial(gate({ 'fs.read': [root] }).checkPath('fs.read', 'sub/a.txt'));
    expect(error.message).toContain('relative');
  });

  it('keeps fs.read, fs.write and sqlite roots apart', async () => {
    const g = gate({ 'fs.read': [root] });
    await denial(g.checkPath('fs.write', path.join(root, 'new.txt')));
    await denial(g.checkPath('sqlite', path.join(root, 'db.sqlite')));
  });

  it('openFile refuses a file swapped for a symlink after the check', async () => {
    const g = gate({ 'fs.read': [root] });
    const file = path.join(root, 'sub', 'a.txt');
    const real = await g.checkPath('fs.read', file);
    await fsp.rm(file);
    await fsp.symlink(path.join(outside, 'secret.txt'), file);
    await expect(g.openFile('fs.read', real, fsConstants.O_RDONLY)).rejects.toMatchObject({ code: 'ELOOP' });
  });

  it('openFile re-checks where the opened file really is when a parent directory is swapped', async () => {
    const g = gate({ 'fs.read': [root] });
    const real = await g.checkPath('fs.read', path.join(root, 'sub', 'a.txt'));
    await fsp.rename(path.join(root, 'sub'), path.join(root, 'old-sub'));
    await fsp.copyFile(path.join(outside, 'secret.txt'), path.join(outside, 'a.txt'));
    await fsp.symlink(outside, path.join(root, 'sub'));
    await denial(g.openFile('fs.read', real, fsConstants.O_RDONLY));
  });

  const deniedSync = (work: () => unknown): PermissionDeniedError => {
    try {
      work();
    } catch (error) {
      if (error instanceof PermissionDeniedError) return error;
      throw error;
    }
    throw new Error('expected a PermissionDeniedError');
  };

  it('checkPathSync (remembering folders\' real paths) answers as checkPath does: files, a missing file, a link to inside, a link out, a folder link out', async () => {
    const g = gate({ 'fs.read': [root] });
    await fsp.symlink(path.join(root, 'sub', 'a.txt'), path.join(root, 'sub', 'link-in.txt'));
    await fsp.symlink(path.join(outside, 'secret.txt'), path.join(root, 'sub', 'link-out.txt'));
    await fsp.symlink(outside, path.join(root, 'out-dir'));
    for (const file of [path.join(root, 'sub', 'a.txt'), path.join(root, 'sub', 'missing.txt'), path.join(root, 'sub', 'link-in.txt')]) {
      expect(g.checkPathSync('fs.read', file)).toBe(await g.checkPath('fs.read', file));
    }
    deniedSync(() => g.checkPathSync('fs.read', path.join(root, 'sub', 'link-out.txt')));
    deniedSync(() => g.checkPathSync('fs.read', path.join(root, 'out-dir', 'secret.txt')));
  });

  it('checkPathSync: a remembered folder swapped for a link out: the check still passes, the open is refused', async () => {
    const g = gate({ 'fs.read': [root] });
    const file = path.join(root, 'sub', 'a.txt');
    expect(g.checkPathSync('fs.read', file)).toBe(file);
    await fsp.rename(path.join(root, 'sub'), path.join(root, 'old-sub'));
    await fsp.copyFile(path.join(outside, 'secret.txt'), path.join(outside, 'a.txt'));
    await fsp.symlink(outside, path.join(root, 'sub'));
    const real = g.checkPathSync('fs.read', file);
    deniedSync(() => g.openFileSync('fs.read', real, fsConstants.O_RDONLY));
    // A new gate (the next run) sees the link at once.
    deniedSync(() => gate({ 'fs.read': [root] }).checkPathSync('fs.read', file));
  });
});

describe('PermissionGate — net', () => {
  const gate = new PermissionGate({
    plugin: 'net-plugin',
    permissions: { net: ['api.example.com', '*.example.org', '127.0.0.1:8080', 'HTTPS://Mixed.Case.dev/'] },
    env: {},
    homeDir: '/',
  });
  const web = ['http', 'https'];

  it.each([
    'https://api.example.com/v1',
    'http://api.example.com:1234/',
    'https://a.example.org/',
    'https://deep.a.example.org/',
    'http://127.0.0.1:8080/x',
    'https://mixed.case.dev/',
  ])('allows %s', (url) => {
    expect(gate.checkNet(url, web).href).toBe(new URL(url).href);
  });

  it.each([
    'https://example.org/',
    'https://evilexample.org/',
    'https://api.example.com.evil.net/',
    'http://127.0.0.1:8081/',
    'http://127.0.0.1/',
    'http://2130706433:8081/',
    'https://user@evil.net/@api.example.com',
  ])('refuses %s', (url) => {
    expect(() => gate.checkNet(url, web)).toThrow(PermissionDeniedError);
  });

  it('treats a decimal IP spelling as the address it is', () => {
    expect(gate.checkNet('http://2130706433:8080/', web).hostname).toBe('127.0.0.1');
  });

  it('refuses schemes outside the list it was asked for', () => {
    expect(() => gate.checkNet('file:///etc/passwd', web)).toThrow(/scheme "file"/);
    expect(() => gate.checkNet('ws://api.example.com/', web)).toThrow(PermissionDeniedError);
    expect(gate.checkNet('wss://api.example.com/', ['ws', 'wss']).protocol).toBe('wss:');
  });
});

describe('PermissionGate — exec, env, data', () => {
  let base: string;
  beforeAll(async () => {
    base = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'rimuru-gate-exec-')));
  });
  afterAll(async () => {
    await fsp.rm(base, { recursive: true, force: true });
  });
  const env = { PATH: process.env.PATH };

  async function executable(name: string): Promise<string> {
    const file = path.join(base, name);
    await fsp.writeFile(file, '#!/bin/sh\n', { mode: 0o755 });
    return file;
  }

  /** A directory of symlinks named `names`, all pointing at `target` (like busybox's bin/). */
  async function dirOfLinks(dirName: string, target: string, names: string[]): Promise<string> {
    const dir = path.join(base, dirName);
    await fsp.mkdir(dir);
    for (const name of names) await fsp.symlink(target, path.join(dir, name));
    return dir;
  }

  it('resolves a bare listed name on PATH and refuses an unlisted one', async () => {
    const gate = new PermissionGate({ plugin: 'p', permissions: { exec: ['echo'] }, env, homeDir: '/' });
    const allowed = await gate.checkExec('echo');
    expect(allowed.argv0).toBe('echo');
    expect(allowed.path).toBe(await fsp.realpath(allowed.path));
    const error = await denial(gate.checkExec('cat'));
    expect(error.message).toContain('rimuru.permissions["exec"]');
  });

  it('lets the plugin name a listed binary by its absolute path, but not a look-alike elsewhere', async () => {
    const gate = new PermissionGate({ plugin: 'p', permissions: { exec: ['echo'] }, env, homeDir: '/' });
    const { path: echoPath } = await gate.checkExec('echo');
    await expect(gate.checkExec(echoPath)).resolves.toEqual({ path: echoPath, argv0: 'echo' });
    const fake = await executable('echo');
    await denial(gate.checkExec(fake));
    await denial(gate.checkExec('./echo'));
  });

  it('matches a listed absolute path by real path, also through a symlink the plugin passes', async () => {
    const tool = await executable('tool');
    const linkDir = await dirOfLinks('links', tool, ['tool']);
    const gate = new PermissionGate({ plugin: 'p', permissions: { exec: [tool] }, env: { PATH: linkDir }, homeDir: '/' });
    await expect(gate.checkExec(path.join(linkDir, 'tool'))).resolves.toEqual({ path: tool, argv0: 'tool' });
    await expect(gate.checkExec('tool')).resolves.toEqual({ path: tool, argv0: 'tool' });
  });

  it('refuses a command whose name is not listed even when it is the same multi-call file', async () => {
    const multi = await executable('multi');
    const bin = await dirOfLinks('bin', multi, ['echo', 'rm']);
    const gate = new PermissionGate({ plugin: 'p', permissions: { exec: ['echo'] }, env: { PATH: bin }, homeDir: '/' });
    await expect(gate.checkExec('echo')).resolves.toEqual({ path: multi, argv0: 'echo' });
    await denial(gate.checkExec('rm'));
    await denial(gate.checkExec(path.join(bin, 'rm')));
  });

  it('allows only listed env names and data kinds', () => {
    const gate = new PermissionGate({ plugin: 'p', permissions: { env: ['HOME_X'], data: ['sessions'] }, env, homeDir: '/' });
    expect(() => gate.checkEnv('HOME_X')).not.toThrow();
    expect(() => gate.checkEnv('AWS_SECRET_ACCESS_KEY')).toThrow(/rimuru\.permissions\["env"\]/);
    expect(() => gate.checkData('sessions')).not.toThrow();
    expect(() => gate.checkData('costs')).toThrow(PermissionDeniedError);
  });
});
