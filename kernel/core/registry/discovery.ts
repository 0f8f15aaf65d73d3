import { createHash } from 'node:crypto';
import { existsSync, readFileSync, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { ErrorCodes, errorMessage, isRimuruError, type ErrorCode } from '../errors';
import { parseManifest, type PluginManifest } from './manifest-schema';
import type { PluginSource } from './plugin-record';

/**
 * Finds plugin packages on disk without running any of their code: it reads package.json files
 * and hashes bundles, nothing more. A package qualifies when its package.json has a `rimuru`
 * block. A broken one never stops discovery; it is returned as a candidate with an error, so
 * `plugin list` can show what is wrong with it.
 *
 * Name clashes: a user-dir plugin replaces the built-in of the same name only when its version
 * is strictly higher (installing a newer release of a built-in is the one legitimate reason for
 * a clash; an equal or older copy is more likely stale or a mistake). A valid package always
 * beats a broken one. Within one directory the higher version wins, ties go to the first folder
 * in path order. Every loser is reported as shadowed (E3006) and never loaded. Note that a user
 * plugin that wins is still subject to the user-plugin rule: it stays disabled until enabled.
 */

export interface PluginCandidate {
  name: string;
  version: string;
  dir: string;
  source: PluginSource;
  manifest: PluginManifest | null;
  bundlePath: string | null;
  integrity: string | null;
  /** Why the package cannot be used (unreadable or invalid package.json). */
  error?: { code: ErrorCode; message: string };
}

export interface ShadowedCandidate extends PluginCandidate {
  shadowedBy: { name: string; version: string; dir: string; source: PluginSource };
  reason: string;
}

export interface DiscoveryResult {
  /** One per plugin name, sorted by name. */
  plugins: PluginCandidate[];
  /** Packages that lost a name clash, sorted by name then dir. */
  shadowed: ShadowedCandidate[];
}

export interface DiscoveryOptions {
  /** `plugins/` of the kernel checkout or install. Missing dir = no built-ins. */
  builtinDir?: string;
  /** The user plugin dir (`plugins.dir` of the resolved config). Missing dir = no user plugins. */
  userDir?: string;
}

async function sha256OfFile(file: string): Promise<string | null> {
  let bytes: Buffer;
  try {
    // Read whole: a bundle is tens of KB, and a stream's turns cost a boot of 23 plugins ~10 ms.
    bytes = await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') {
      return null;
    }
    throw error;
  }
  return createHash('sha256').update(bytes).digest('hex');
}

async function isDirectory(entryPath: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  // A symlinked folder (a plugin under development linked into the user dir) counts too.
  if (!entry.isSymbolicLink()) return false;
  return fs.stat(entryPath).then((s) => s.isDirectory(), () => false);
}

/** Package folders directly under `root`, and under its `@scope` folders. */
async function packageFolders(root: string): Promise<Array<{ dir: string; folderName: string }>> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: Array<{ dir: string; folderName: string }> = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const entryPath = path.join(root, entry.name);
    if (!(await isDirectory(entryPath, entry))) continue;
    if (entry.name.startsWith('@')) {
      for (const inner of await fs.readdir(entryPath, { withFileTypes: true })) {
        const innerPath = path.join(entryPath, inner.name);
        if (!inner.name.startsWith('.') && (await isDirectory(innerPath, inner))) {
          out.push({ dir: innerPath, folderName: `${entry.name}/${inner.name}` });
        }
      }
    } else {
      out.push({ dir: entryPath, folderName: entry.name });
    }
  }
  return out.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

async function readCandidate(dir: string, folderName: string, source: PluginSource): Promise<PluginCandidate | null> {
  const file = path.join(dir, 'package.json');
  const broken = (name: string, version: string, code: ErrorCode, message: string): PluginCandidate => ({
    name,
    version,
    dir,
    source,
    manifest: null,
    bundlePath: null,
    integrity: null,
    error: { code, message },
  });

  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null; // not a package
    return broken(folderName, '0.0.0', ErrorCodes.MANIFEST_INVALID, `${file}: cannot read: ${errorMessage(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return broken(folderName, '0.0.0', ErrorCodes.MANIFEST_INVALID, `${file}: not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof json !== 'object' || json === null || !('rimuru' in json)) return null; // a package, not a plugin

  try {
    const manifest = parseManifest(json, file);
    const bundlePath = path.join(dir, manifest.main);
    return {
      name: manifest.name,
      version: manifest.version,
      dir,
      source,
      manifest,
      bundlePath,
      integrity: await sha256OfFile(bundlePath),
    };
  } catch (error) {
    if (!isRimuruError(error)) throw error;
    const declared = json as { name?: unknown; version?: unknown };
    return broken(
      typeof declared.name === 'string' && declared.name !== '' ? declared.name : folderName,
      typeof declared.version === 'string' ? declared.version : '0.0.0',
      error.code,
      error.message,
    );
  }
}

/** Whether `challenger` takes the name from `holder` (see the clash rules at the top). */
function wins(challenger: PluginCandidate, holder: PluginCandidate): boolean {
  const challengerValid = challenger.error === undefined;
  const holderValid = holder.error === undefined;
  if (challengerValid !== holderValid) return challengerValid;
  if (!challengerValid) return false;
  return semver.gt(challenger.version, holder.version);
}

export function resolveNameClashes(candidates: ReadonlyArray<PluginCandidate>): DiscoveryResult {
  // Built-ins first, so a user package has to beat the built-in rather than the other way round.
  const ordered = [...candidates].sort((a, b) =>
    a.source !== b.source ? (a.source === 'builtin' ? -1 : 1) : a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0,
  );
  const holders = new Map<string, PluginCandidate>();
  const losers: PluginCandidate[] = [];
  for (const candidate of ordered) {
    const holder = holders.get(candidate.name);
    if (holder === undefined) holders.set(candidate.name, candidate);
    else if (wins(candidate, holder)) {
      losers.push(holder);
      holders.set(candidate.name, candidate);
    } else losers.push(candidate);
  }
  const shadowed = losers.map((loser): ShadowedCandidate => {
    const winner = holders.get(loser.name) as PluginCandidate;
    return {
      ...loser,
      shadowedBy: { name: winner.name, version: winner.version, dir: winner.dir, source: winner.source },
      reason:
        `${loser.source} plugin ${loser.name}@${loser.version} (${loser.dir}) is shadowed by ` +
        `${winner.source} plugin ${winner.name}@${winner.version} (${winner.dir})`,
    };
  });
  const byName = (a: PluginCandidate, b: PluginCandidate) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0;
  return { plugins: [...holders.values()].sort(byName), shadowed: shadowed.sort(byName) };
}

export async function discoverPlugins(options: DiscoveryOptions): Promise<DiscoveryResult> {
  const candidates: PluginCandidate[] = [];
  const roots: Array<[string | undefined, PluginSource]> = [
    [options.builtinDir, 'builtin'],
    [options.userDir, 'user'],
  ];
  for (const [root, source] of roots) {
    if (root === undefined) continue;
    for (const { dir, folderName } of await packageFolders(path.resolve(root))) {
      const candidate = await readCandidate(dir, folderName, source);
      if (candidate !== null) candidates.push(candidate);
    }
  }
  return resolveNameClashes(candidates);
}

/**
 * `plugins/` of the kernel package this module belongs to, found by walking up to the
 * `rimuru-kernel` package.json — the same answer from `kernel/` sources and from `dist/`.
 */
export function defaultBuiltinPluginDir(from: string = __dirname): string | undefined {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'rimuru-kernel') {
          return path.join(dir, 'plugins');
        }
      } catch {
        // An unreadable package.json on the way up is not ours; keep walking.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
