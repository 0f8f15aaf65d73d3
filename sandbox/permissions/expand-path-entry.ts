import * as path from 'node:path';

export interface ExpansionEnv {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Expands a leading `~` and every `$VAR` / `${VAR}` in a manifest path entry, then normalises
 * it. Returns `null` when a variable is unset or empty, or when the result is not absolute:
 * an entry like `$CLAUDE_CONFIG_DIR` must grant nothing (rather than `/` or the cwd) on a
 * machine where the variable is missing.
 */
export function expandPathEntry(entry: string, { env, homeDir }: ExpansionEnv): string | null {
  let unset = false;
  let expanded = entry.replace(VARIABLE, (_match, braced: string | undefined, bare: string | undefined) => {
    const value = env[braced ?? bare ?? ''];
    if (value === undefined || value === '') unset = true;
    return value ?? '';
  });
  if (unset) return null;
  if (expanded === '~' || expanded.startsWith('~/')) expanded = homeDir + expanded.slice(1);
  if (!path.isAbsolute(expanded)) return null;
  return path.resolve(expanded);
}

/** `$VAR[,]` (or `${VAR}[,]`), optionally followed by a path: the variable holds a comma-separated list. */
const LIST_ENTRY = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))\[,\](.*)$/;

/**
 * {@link expandPathEntry}, plus the list form `$VAR[,]` (optionally followed by `/more/path`):
 * the variable holds several paths separated by commas — as `CLAUDE_CONFIG_DIR` may — and each
 * non-empty item (trimmed) is expanded and granted on its own. Any other entry expands to at
 * most one path.
 */
export function expandPathEntries(entry: string, expansion: ExpansionEnv): string[] {
  const list = LIST_ENTRY.exec(entry);
  if (list === null) {
    const single = expandPathEntry(entry, expansion);
    return single === null ? [] : [single];
  }
  const value = expansion.env[list[1] ?? list[2] ?? ''] ?? '';
  const rest = list[3] ?? '';
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '' && !item.includes('$'))
    .map((item) => expandPathEntry(`${item}${rest}`, expansion))
    .filter((expanded): expanded is string => expanded !== null);
}
