import { absolutePath, baseName, configuredPaths, envValue, type FileStat, joinPath, parentDir, type PluginContext, statIfReadable as statPath } from '@rimuru/sdk';

/** One Gemini CLI data directory (`~/.gemini`); chat recordings live under its `tmp/`. */
export interface GeminiHome {
  dir: string;
  tmpDir: string;
  /** The path as configured (the `.gemini` directory or its `tmp/`): what must exist, what discovery reports. */
  named: string;
  /** Which override named it: `agents.gemini.paths`, `GEMINI_CLI_HOME`, or the default. */
  origin: 'config' | 'GEMINI_CLI_HOME' | 'default';
}

const TMP = 'tmp';

/**
 * The Gemini data directories to read, first match wins: `agents.gemini.paths` from the config
 * (each the `.gemini` directory or its `tmp/`), else `$GEMINI_CLI_HOME/.gemini` (Gemini CLI
 * takes that variable as its home directory), else `~/.gemini`.
 */
export async function geminiHomes(ctx: PluginContext): Promise<GeminiHome[]> {
  const home = await ctx.env.home();
  const configured = configuredPaths(ctx);
  if (configured.length > 0) return toHomes(configured, 'config', home);
  const cliHome = await envValue(ctx, 'GEMINI_CLI_HOME');
  if (cliHome !== undefined) return toHomes([`${cliHome}/.gemini`], 'GEMINI_CLI_HOME', home);
  return toHomes(['~/.gemini'], 'default', home);
}

function toHomes(entries: readonly string[], origin: GeminiHome['origin'], home: string): GeminiHome[] {
  const homes: GeminiHome[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const absolute = absolutePath(entry.trim(), home);
    if (absolute === undefined) continue;
    const isTmp = baseName(absolute) === TMP;
    const dir = isTmp ? parentDir(absolute) : absolute;
    if (seen.has(dir)) continue;
    seen.add(dir);
    homes.push({ dir, tmpDir: isTmp ? absolute : joinPath(absolute, TMP), named: absolute, origin });
  }
  return homes;
}

export { absolutePath, baseName, joinPath, parentDir };

/** `fs.stat`, or `null` (logged) for a path it may not or cannot read: see the SDK's `statIfReadable`. */
export function statIfReadable(ctx: PluginContext, path: string): Promise<FileStat | null> {
  return statPath(ctx, path, 'a Gemini CLI path');
}
