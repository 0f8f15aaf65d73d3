import path from 'node:path';

/** The environment variables the data dir depends on; a plain object so tests pass their own. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** `~` and `~/x` become paths under `homeDir`; `~user` is left alone (we cannot resolve other users portably). */
export function expandHome(p: string, homeDir: string): string {
  if (p === '~') return homeDir;
  if (p.startsWith('~/') || p.startsWith(`~${path.sep}`)) return path.join(homeDir, p.slice(2));
  return p;
}

/** An env var counts as set only when non-empty: `RIMURU_DATA_DIR= cmd` must not mean "the cwd". */
export function envValue(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export interface DataDirOptions {
  /** `dataDir` from the config file, if any. */
  configured?: string;
  /** Directory a relative configured path is taken from (the config file's). Default: `cwd`. */
  configDir?: string;
  /** Directory a relative `RIMURU_DATA_DIR` is taken from. Default `process.cwd()`. */
  cwd?: string;
}

/**
 * Data dir = `RIMURU_DATA_DIR`, else the config's `dataDir`, else `$XDG_DATA_HOME/rimuru`,
 * else `~/.local/share/rimuru`. Always absolute.
 */
export function resolveDataDir(env: Environment, homeDir: string, options: DataDirOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = envValue(env, 'RIMURU_DATA_DIR');
  if (fromEnv !== undefined) return path.resolve(cwd, expandHome(fromEnv, homeDir));
  if (options.configured !== undefined && options.configured.trim() !== '') {
    return path.resolve(options.configDir ?? cwd, expandHome(options.configured, homeDir));
  }
  const xdg = envValue(env, 'XDG_DATA_HOME');
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg !== undefined && path.isAbsolute(expandHome(xdg, homeDir))) {
    return path.join(expandHome(xdg, homeDir), 'rimuru');
  }
  return path.join(homeDir, '.local', 'share', 'rimuru');
}
