import path from 'node:path';
import { ConfigError, ErrorCodes } from '../core/errors';
import { envValue, expandHome, resolveDataDir, type Environment } from './data-dir';
import { describeIssues, formatKeyPath, formatIssueLines, type IssueDescription } from './describe-issues';
import { rimuruConfigSchema, type ResolvedConfig } from './schema';

/**
 * Env vars that override a config key. `RIMURU_DATA_DIR` and `RIMURU_PLUGIN_DIR` are not here:
 * they are paths, resolved against the cwd rather than the config file's directory, so they are
 * applied after validation.
 */
const VALUE_OVERRIDES: ReadonlyArray<{ env: string; path: readonly string[] }> = [
  { env: 'RIMURU_LOG_LEVEL', path: ['logLevel'] },
  { env: 'RIMURU_DATABASE_URL', path: ['database', 'url'] },
];

export interface ResolveContext {
  /** Where the raw config came from, for messages: a file path, or undefined for "no file". */
  filepath?: string;
  env: Environment;
  homeDir: string;
  /** Relative env paths are taken from here. */
  cwd: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Copies `raw` with env values written over it; returns which key paths each env var set. */
function applyValueOverrides(
  raw: Record<string, unknown>,
  env: Environment,
): { merged: Record<string, unknown>; setBy: Map<string, string> } {
  const merged: Record<string, unknown> = { ...raw };
  const setBy = new Map<string, string>();
  for (const { env: name, path: keyPath } of VALUE_OVERRIDES) {
    const value = envValue(env, name);
    if (value === undefined) continue;
    let target = merged;
    for (const key of keyPath.slice(0, -1)) {
      // Copy each level so the caller's object (possibly a live JS module export) is not mutated.
      const next = target[key];
      target[key] = isPlainObject(next) ? { ...next } : {};
      target = target[key] as Record<string, unknown>;
    }
    target[keyPath[keyPath.length - 1]] = value;
    setBy.set(formatKeyPath(keyPath), name);
  }
  return { merged, setBy };
}

function displayName(filepath: string | undefined, cwd: string): string {
  if (filepath === undefined) return '(no config file)';
  const relative = path.relative(cwd, filepath);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : filepath;
}

/**
 * Validates a raw config (whatever the file evaluated to), applies env overrides and defaults,
 * and makes every path absolute. Throws `ConfigError` E4001 whose lines name the source (the
 * file, or the env var that supplied the bad value), the key path and what was expected.
 */
export function resolveConfig(raw: unknown, context: ResolveContext): ResolvedConfig {
  const source = displayName(context.filepath, context.cwd);
  const input = raw === undefined || raw === null ? {} : raw;
  const { merged, setBy } = isPlainObject(input)
    ? applyValueOverrides(input, context.env)
    : { merged: input, setBy: new Map<string, string>() };

  const parsed = rimuruConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error.issues, merged);
    const bySource = new Map<string, IssueDescription[]>();
    for (const issue of issues) {
      const from = setBy.get(issue.path) ?? source;
      bySource.set(from, [...(bySource.get(from) ?? []), issue]);
    }
    const message = [...bySource].map(([from, list]) => formatIssueLines(from, list)).join('\n');
    throw new ConfigError(ErrorCodes.CONFIG_INVALID, message, {
      details: { file: context.filepath, issues },
    });
  }

  const configDir = context.filepath === undefined ? context.cwd : path.dirname(context.filepath);
  const dataDir = resolveDataDir(context.env, context.homeDir, {
    configured: parsed.data.dataDir,
    configDir,
    cwd: context.cwd,
  });
  const pluginDirFromEnv = envValue(context.env, 'RIMURU_PLUGIN_DIR');
  const pluginDir =
    pluginDirFromEnv !== undefined
      ? path.resolve(context.cwd, expandHome(pluginDirFromEnv, context.homeDir))
      : parsed.data.plugins.dir !== undefined
        ? path.resolve(configDir, expandHome(parsed.data.plugins.dir, context.homeDir))
        : path.join(dataDir, 'plugins');

  return { ...parsed.data, dataDir, plugins: { ...parsed.data.plugins, dir: pluginDir } };
}
