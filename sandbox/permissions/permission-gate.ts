import { closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, promises as fsp, readlinkSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { PluginPermissions } from '../../sdk/src/manifest';
import { permissionDenied, type PermissionKey } from './denial';
import { findOnPath, isBareName, realExecutable } from './exec-resolver';
import { expandPathEntries, expandPathEntry } from './expand-path-entry';
import { netRuleMatches, parseNetRule, type NetRule } from './net-rules';
import { normalizedAbsolute } from './normalized-path';
import { isInside, resolveRealPath, resolveRealPathSync } from './real-path';

/** Bound on the folders one gate remembers the real path of. */
const MAX_REMEMBERED_DIRS = 100_000;

/** The permission keys that grant file system paths. */
export type PathPermission = 'fs.read' | 'fs.write' | 'sqlite';

export interface PermissionGateOptions {
  plugin: string;
  permissions: PluginPermissions;
  /** The environment `$VAR` entries are expanded from and bare exec names are looked up in (`PATH`). */
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
}

/** A binary the plugin may run: the real file to execute and the name to give it as argv[0]. */
export interface AllowedExecutable {
  path: string;
  argv0: string;
}

interface ExecEntry {
  /** The command name the entry grants (multi-call binaries such as busybox dispatch on it). */
  name: string;
  /** Absolute path as listed (after `~`/`$VAR` expansion), or `null` for a bare name looked up on PATH. */
  absolute: string | null;
}

/** The real paths of a gate's roots as resolved at `at` (`resolved` once known). */
interface ResolvedRoots {
  at: number;
  roots: Promise<string[]>;
  resolved?: string[];
}

/** How long the real paths of a gate's roots are reused before they are resolved again. */
export const ROOT_RESOLUTION_TTL_MS = 1_000;

const VERB: Readonly<Record<PathPermission, string>> = { 'fs.read': 'read', 'fs.write': 'write', sqlite: 'open' };

/**
 * Decides every capability call of one plugin against its manifest permissions. Deny by
 * default: an absent key grants nothing.
 *
 * Path roots are expanded once (the environment is the kernel's, fixed at start); their
 * symlinks are resolved again once the last resolution is a second old, so a root created or
 * re-pointed later is judged by where it points then. Callers must open the real path a check
 * returns, never the string the plugin sent, and should open it through {@link openFile},
 * which re-verifies the opened file.
 */
export class PermissionGate {
  readonly plugin: string;
  private readonly pathRoots: Readonly<Record<PathPermission, readonly string[]>>;
  private readonly netRules: readonly NetRule[];
  private readonly execEntries: readonly ExecEntry[];
  private readonly envNames: ReadonlySet<string>;
  private readonly dataKinds: ReadonlySet<string>;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly homeDir: string;
  private readonly resolvedRoots = new Map<PathPermission, ResolvedRoots>();

  /** Real paths of folders {@link checkPathSync} resolved, by absolute path. */
  private readonly realDirs = new Map<string, string>();

  constructor({ plugin, permissions, env, homeDir }: PermissionGateOptions) {
    this.plugin = plugin;
    this.env = env;
    this.homeDir = homeDir;
    const expand = (entries: readonly string[] | undefined): string[] =>
      (entries ?? []).flatMap((entry) => expandPathEntries(entry, { env, homeDir }));
    this.pathRoots = {
      'fs.read': expand(permissions['fs.read']),
      'fs.write': expand(permissions['fs.write']),
      sqlite: expand(permissions.sqlite),
    };
    this.netRules = (permissions.net ?? []).map(parseNetRule).filter((rule): rule is NetRule => rule !== null);
    this.execEntries = (permissions.exec ?? []).flatMap((entry): ExecEntry[] => {
      if (isBareName(entry)) return [{ name: entry, absolute: null }];
      const absolute = expandPathEntry(entry, { env, homeDir });
      return absolute === null ? [] : [{ name: path.basename(absolute), absolute }];
    });
    this.envNames = new Set(permissions.env ?? []);
    this.dataKinds = new Set(permissions.data ?? []);
  }

  /**
   * Resolves a path the plugin sent (absolute, or starting with `~`) and checks that its real
   * location lies under a real root of `key`. Returns that real path: the only one to open.
   */
  async checkPath(key: PathPermission, requested: string): Promise<string> {
    const absolute = this.absolutePath(key, requested);
    const real = await resolveRealPath(absolute);
    if (!(await this.isAllowedRealPath(key, real))) {
      throw permissionDenied(this.plugin, key, requested, `it is outside every directory the plugin may ${VERB[key]}`);
    }
    return real;
  }

  /**
   * {@link checkPath}, synchronously (for hot paths over many files, where each promise round
   * trip costs more than the system call). Folders' real paths are remembered for the gate's
   * life, so a file costs one `lstat` rather than a `realpath` walk (a `readlink` per path
   * component: 154,000 calls, ~0.7 s, for a 14,000-file ingest): the engine makes a gate per
   * run. A folder swapped for a link since is caught where it matters, after the open: the
   * opened file's own path is checked again (see {@link openFileSync}).
   */
  checkPathSync(key: PathPermission, requested: string): string {
    const absolute = this.absolutePath(key, requested);
    const real = this.realPathSync(absolute);
    if (!this.isAllowedRealPathSync(key, real)) {
      throw permissionDenied(this.plugin, key, requested, `it is outside every directory the plugin may ${VERB[key]}`);
    }
    return real;
  }

  private realPathSync(absolute: string): string {
    const dir = path.dirname(absolute);
    if (dir === absolute) return absolute;
    let realDir = this.realDirs.get(dir);
    if (realDir === undefined) {
      realDir = resolveRealPathSync(dir);
      if (this.realDirs.size < MAX_REMEMBERED_DIRS) this.realDirs.set(dir, realDir);
    }
    const candidate = path.join(realDir, path.basename(absolute));
    // The last component may be a link itself: then the whole walk.
    return lstatSync(candidate, { throwIfNoEntry: false })?.isSymbolicLink() ? resolveRealPathSync(absolute) : candidate;
  }

  /** True when an already-resolved real path lies under one of the real roots of `key`. */
  async isAllowedRealPath(key: PathPermission, realPath: string): Promise<boolean> {
    const roots = await this.realRoots(key);
    return roots.some((root) => isInside(root, realPath));
  }

  private isAllowedRealPathSync(key: PathPermission, realPath: string): boolean {
    return this.realRootsSync(key).some((root) => isInside(root, realPath));
  }

  /**
   * The real paths of the roots of `key`, resolved again when the last resolution is older
   * than {@link ROOT_RESOLUTION_TTL_MS}. Resolving them costs a realpath per root (several for
   * a root that does not exist yet) on every check, which an ingest of thousands of files pays
   * twice per file; a root re-pointed is seen within the TTL. A stale resolution can only keep
   * allowing where the root pointed a moment ago: every requested path and every opened file is
   * still resolved and checked afresh.
   */
  private realRoots(key: PathPermission): Promise<string[]> {
    const now = Date.now();
    const cached = this.resolvedRoots.get(key);
    if (cached !== undefined && now - cached.at < ROOT_RESOLUTION_TTL_MS) return cached.roots;
    const entry: ResolvedRoots = { at: now, roots: Promise.all(this.pathRoots[key].map(resolveRealPath)) };
    this.resolvedRoots.set(key, entry);
    entry.roots.then(
      (roots) => {
        entry.resolved = roots;
      },
      () => {
        if (this.resolvedRoots.get(key) === entry) this.resolvedRoots.delete(key);
      },
    );
    return entry.roots;
  }

  /** {@link realRoots}, synchronously; both share one resolution. */
  private realRootsSync(key: PathPermission): string[] {
    const now = Date.now();
    const cached = this.resolvedRoots.get(key);
    if (cached?.resolved !== undefined && now - cached.at < ROOT_RESOLUTION_TTL_MS) return cached.resolved;
    const resolved = this.pathRoots[key].map(resolveRealPathSync);
    this.resolvedRoots.set(key, { at: now, roots: Promise.resolve(resolved), resolved });
    return resolved;
  }

  /**
   * Opens a real path returned by {@link checkPath} without following a symlink swapped in
   * since the check, then asks the kernel what was actually opened and checks that again:
   * a rename race between check and open cannot escape the roots.
   */
  async openFile(key: PathPermission, realPath: string, flags: number, mode = 0o644): Promise<fsp.FileHandle> {
    const handle = await fsp.open(realPath, flags | fsConstants.O_NOFOLLOW, mode);
    try {
      const opened = await this.openedPath(handle, realPath);
      if (opened === null || !(await this.isAllowedRealPath(key, opened))) {
        throw permissionDenied(this.plugin, key, realPath, 'the file changed while it was being opened');
      }
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** {@link openFile}, synchronously; returns the file descriptor (the caller closes it). */
  openFileSync(key: PathPermission, realPath: string, flags: number, mode = 0o644): number {
    const fd = openSync(realPath, flags | fsConstants.O_NOFOLLOW, mode);
    try {
      const opened = this.openedPathSync(fd, realPath);
      if (opened === null || !this.isAllowedRealPathSync(key, opened)) {
        throw permissionDenied(this.plugin, key, realPath, 'the file changed while it was being opened');
      }
      return fd;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /**
   * Checks a URL's scheme and host (and port) against `permissions.net`, before any
   * connection is made. Returns the parsed URL to connect to.
   */
  checkNet(requested: string, schemes: readonly string[]): URL {
    let url: URL;
    try {
      url = new URL(requested);
    } catch {
      throw permissionDenied(this.plugin, 'net', requested, 'it is not a valid absolute URL', 'pass an absolute URL');
    }
    if (!schemes.includes(url.protocol.slice(0, -1))) {
      throw permissionDenied(
        this.plugin,
        'net',
        requested,
        `the scheme "${url.protocol.slice(0, -1)}" is not one of ${schemes.join(', ')}`,
        `use ${schemes.join(' or ')}`,
      );
    }
    if (!this.netRules.some((rule) => netRuleMatches(rule, url))) {
      throw permissionDenied(this.plugin, 'net', url.host, 'the host is not in the allowed list');
    }
    return url;
  }

  /**
   * Checks a binary the plugin wants to run. A bare name is looked up on PATH; a path given
   * by the plugin is resolved through its symlinks. Either way the command name must be one
   * the manifest lists and the real file must be the one that listing resolves to.
   */
  async checkExec(binary: string): Promise<AllowedExecutable> {
    const requestedAbsolute = isBareName(binary) ? null : this.expandHome(binary);
    if (requestedAbsolute !== null && !path.isAbsolute(requestedAbsolute)) {
      throw permissionDenied(this.plugin, 'exec', binary, 'relative paths are not allowed', 'pass a bare name or an absolute path');
    }
    const name = path.basename(requestedAbsolute ?? binary);
    const candidates = this.execEntries.filter((entry) => entry.name === name);
    if (candidates.length === 0) {
      throw permissionDenied(this.plugin, 'exec', binary, `"${name}" is not in the allowed list`);
    }
    const located = requestedAbsolute ?? (await findOnPath(binary, this.env.PATH));
    const real = located === null ? null : await realExecutable(located);
    if (real === null) {
      throw permissionDenied(this.plugin, 'exec', binary, 'no such executable was found', 'install it or list its absolute path');
    }
    for (const entry of candidates) {
      const listed = entry.absolute ?? (await findOnPath(entry.name, this.env.PATH));
      const listedReal = listed === null ? null : await realExecutable(listed);
      if (listedReal === real) return { path: real, argv0: name };
    }
    throw permissionDenied(this.plugin, 'exec', binary, `it resolves to "${real}", which is not the listed "${name}"`);
  }

  checkEnv(name: string): void {
    if (!this.envNames.has(name)) throw permissionDenied(this.plugin, 'env', name, 'the variable is not in the allowed list');
  }

  checkData(kind: string): void {
    if (!this.dataKinds.has(kind)) throw permissionDenied(this.plugin, 'data', kind, 'the kind is not in the allowed list');
  }

  /**
   * What the gate's answers depend on besides the file system: the expanded path roots and the
   * values of the variables the plugin may read. Equal identities decide alike.
   */
  identity(): { roots: Readonly<Record<PathPermission, readonly string[]>>; env: Record<string, string | null> } {
    const env: Record<string, string | null> = {};
    for (const name of [...this.envNames].sort()) env[name] = this.env[name] ?? null;
    return { roots: this.pathRoots, env };
  }

  /** The environment variables the plugin may read, for handing to child processes. */
  readableEnvNames(): string[] {
    return [...this.envNames];
  }

  /**
   * The plugin's path with `~` expanded and `..` folded, as the plugin would spell it: what
   * capabilities echo back (list and glob results) so plugins see their own paths, not ours.
   */
  absolutePath(key: PermissionKey, requested: string): string {
    const absolute = this.expandHome(requested);
    if (!path.isAbsolute(absolute)) {
      throw permissionDenied(this.plugin, key, requested, 'relative paths are not allowed', 'pass an absolute path');
    }
    return normalizedAbsolute(absolute);
  }

  private expandHome(requested: string): string {
    return requested === '~' || requested.startsWith('~/') ? this.homeDir + requested.slice(1) : requested;
  }

  private openedPathSync(fd: number, realPath: string): string | null {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // No procfs (macOS): fall back to checking the opened file is the one at the checked path.
      const opened = fstatSync(fd);
      let atPath: ReturnType<typeof statSync> | null = null;
      try {
        atPath = statSync(realPath);
      } catch {
        atPath = null;
      }
      return atPath !== null && opened.dev === atPath.dev && opened.ino === atPath.ino ? realPath : null;
    }
  }

  private async openedPath(handle: fsp.FileHandle, realPath: string): Promise<string | null> {
    try {
      return await fsp.readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      // No procfs (macOS): fall back to checking the opened file is the one at the checked path.
      const [opened, atPath] = await Promise.all([handle.stat(), fsp.stat(realPath).catch(() => null)]);
      return atPath !== null && opened.dev === atPath.dev && opened.ino === atPath.ino ? realPath : null;
    }
  }
}
