import path from 'node:path';
import { expandHome, resolveDataDir } from '../../kernel/config';

const HOME = '/home/tester';
const CWD = '/work/project';

describe('resolveDataDir', () => {
  it('prefers RIMURU_DATA_DIR over everything, relative to the cwd', () => {
    const env = { RIMURU_DATA_DIR: 'rel/data', XDG_DATA_HOME: '/xdg' };
    expect(resolveDataDir(env, HOME, { configured: '/from/config', cwd: CWD })).toBe('/work/project/rel/data');
  });

  it('expands ~ in RIMURU_DATA_DIR', () => {
    expect(resolveDataDir({ RIMURU_DATA_DIR: '~/rimuru-data' }, HOME, { cwd: CWD })).toBe('/home/tester/rimuru-data');
  });

  it('uses the configured dataDir next, relative to the config file dir', () => {
    const env = { XDG_DATA_HOME: '/xdg' };
    expect(resolveDataDir(env, HOME, { configured: './state', configDir: '/etc/rimuru', cwd: CWD })).toBe('/etc/rimuru/state');
    expect(resolveDataDir(env, HOME, { configured: '~/x', configDir: '/etc/rimuru', cwd: CWD })).toBe('/home/tester/x');
  });

  it('falls back to $XDG_DATA_HOME/rimuru, then ~/.local/share/rimuru', () => {
    expect(resolveDataDir({ XDG_DATA_HOME: '/xdg' }, HOME, { cwd: CWD })).toBe('/xdg/rimuru');
    expect(resolveDataDir({}, HOME, { cwd: CWD })).toBe(path.join(HOME, '.local', 'share', 'rimuru'));
  });

  it('ignores empty env vars and a relative XDG_DATA_HOME (invalid per the XDG spec)', () => {
    expect(resolveDataDir({ RIMURU_DATA_DIR: '', XDG_DATA_HOME: 'relative' }, HOME, { cwd: CWD })).toBe(
      path.join(HOME, '.local', 'share', 'rimuru'),
    );
  });
});

describe('expandHome', () => {
  it('expands ~ and ~/ only', () => {
    expect(expandHome('~', HOME)).toBe(HOME);
    expect(expandHome('~/a/b', HOME)).toBe('/home/tester/a/b');
    expect(expandHome('~other/a', HOME)).toBe('~other/a');
    expect(expandHome('/abs/~/x', HOME)).toBe('/abs/~/x');
  });
});
