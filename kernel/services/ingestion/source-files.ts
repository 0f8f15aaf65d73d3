import { createHash } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { PermissionGate } from '../../../sandbox/permissions';
import type { TailFingerprint } from './ingest-cursor-repository';

// O_NONBLOCK: a FIFO or device an adapter names under its root cannot hang the host.
const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;
/** Bytes before a cursor's offset that are fingerprinted. */
export const TAIL_FINGERPRINT_BYTES = 1024;

export interface FileIdentity {
  inode: string;
  size: number;
  mtimeMs: number;
}

export interface OpenedSource {
  handle: fsp.FileHandle;
  identity: FileIdentity;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function identityOf(stat: { ino: number; size: number; mtimeMs: number }): FileIdentity {
  return { inode: String(stat.ino), size: stat.size, mtimeMs: Math.floor(stat.mtimeMs) };
}

/**
 * Opens a jsonl or json source the way the fs capability would for the plugin: the path is
 * checked against the plugin's `fs.read` roots, the real path is opened without following a
 * symlink swapped in since, and the opened file is checked again. `null` when it does not exist.
 *
 * @throws PermissionDeniedError (E2004) when the path is outside the plugin's roots.
 */
export async function openSourceFile(gate: PermissionGate, requested: string): Promise<OpenedSource | null> {
  const real = await gate.checkPath('fs.read', requested);
  let handle: fsp.FileHandle;
  try {
    handle = await gate.openFile('fs.read', real, READ_FLAGS);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`"${requested}" is not a regular file`);
    return { handle, identity: identityOf(stat) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A hash of the bytes just before `offset` (up to {@link TAIL_FINGERPRINT_BYTES}); `null` at offset 0. */
export async function tailFingerprint(handle: fsp.FileHandle, offset: number, bytes = Math.min(offset, TAIL_FINGERPRINT_BYTES)): Promise<TailFingerprint | null> {
  if (offset <= 0 || bytes <= 0) return null;
  const buffer = Buffer.alloc(bytes);
  const { bytesRead } = await handle.read(buffer, 0, bytes, offset - bytes);
  return { bytes: bytesRead, sha256: createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex') };
}

/** True when the bytes the fingerprint was taken over are still the same. */
export async function tailStillMatches(handle: fsp.FileHandle, offset: number, fingerprint: TailFingerprint | null): Promise<boolean> {
  if (fingerprint === null) return true;
  const now = await tailFingerprint(handle, offset, fingerprint.bytes);
  return now !== null && now.bytes === fingerprint.bytes && now.sha256 === fingerprint.sha256;
}

/** Reads a whole (small) file from an open handle. */
export async function readWhole(handle: fsp.FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * The state of a SQLite source as a string that changes whenever the database does: inode,
 * size and mtime of the file and of its `-wal` (in WAL mode, commits land in the `-wal` and
 * the main file may not change for a long time). `null` when the database does not exist.
 *
 * @throws PermissionDeniedError (E2004) when the path is outside the plugin's `sqlite` roots.
 */
export async function sqliteSignature(gate: PermissionGate, requested: string): Promise<{ signature: string; identity: FileIdentity } | null> {
  const real = await gate.checkPath('sqlite', requested);
  let handle: fsp.FileHandle;
  try {
    handle = await gate.openFile('sqlite', real, READ_FLAGS);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  let identity: FileIdentity;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`"${requested}" is not a database file`);
    identity = identityOf(stat);
  } finally {
    await handle.close();
  }
  // The -wal sits beside the real file the gate resolved, so it is under the same root.
  const wal = await fsp.stat(`${real}-wal`).then(identityOf, (error: unknown) => {
    if (isMissing(error)) return null;
    throw error;
  });
  // An empty -wal is the same as none: readers (the adapter's own queries) create one.
  const part = (id: FileIdentity | null): string => (id === null || id.size === 0 ? '-' : `${id.inode}:${id.size}:${id.mtimeMs}`);
  return { signature: `db=${part(identity)};wal=${part(wal)}`, identity };
}
