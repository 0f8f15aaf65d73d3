import { constants as fsConstants, lstatSync, promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { DirEntry, FileStat, ReadResult } from '../../sdk/src/capabilities';
import { capabilityFailed, resultTooLarge } from './capability-errors';
import { clamp } from './capability-limits';
import { method, type Capability, type CapabilityContext } from './capability-method';
import { readDirectoryVerified, statSymlinkTarget, TooManyEntries } from './directory-reader';
import { globWalk, GlobTooWide } from './glob-walk';
import { byteCountArg, pathArg } from './arg-schemas';
import { readLinesFrom } from './read-lines';

const DEFAULT_READ_BYTES = 1024 * 1024;
const DEFAULT_READ_LINES_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_LINES = 10_000;
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const DEFAULT_GLOB_RESULTS = 1_000;

// O_NONBLOCK so that opening a FIFO or a device under a root cannot hang the host.
const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;
const WRITE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_NONBLOCK;

const statArgs = z.strictObject({ path: pathArg });
const listArgs = z.strictObject({ dir: pathArg, stat: z.boolean().optional() });
const globArgs = z.strictObject({
  root: pathArg,
  pattern: z.string().min(1).max(1024),
  maxResults: z.number().int().positive().optional(),
});
const readArgs = z.strictObject({
  path: pathArg,
  offset: byteCountArg.optional(),
  length: byteCountArg.optional(),
  encoding: z.enum(['utf8', 'base64']).optional(),
});
const readLinesArgs = z.strictObject({
  path: pathArg,
  offset: byteCountArg.optional(),
  maxBytes: z.number().int().positive().optional(),
  maxLines: z.number().int().positive().optional(),
  maxLineBytes: z.number().int().positive().optional(),
});
const writeArgs = z.strictObject({ path: pathArg, data: z.string() });

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function toFileStat(reportedPath: string, stat: Stats): FileStat {
  return { path: reportedPath, isFile: stat.isFile(), isDirectory: stat.isDirectory(), size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

/** The `fs` capability: stat, list, glob, ranged and line reads, and writes, all under the gate's roots. */
export function createFsCapability({ plugin, gate, limits, recording }: CapabilityContext): Capability {
  /**
   * Runs one fs method, telling an active recording (see `CapabilityHost.observe`) what it
   * looked at through `observe`; a method that fails is not something a stat can re-check.
   */
  function observed<A>(run: (args: A) => Promise<unknown>): (args: A) => Promise<unknown> {
    return async (args) => {
      if (recording.recorder === null) return run(args);
      try {
        return await run(args);
      } catch (error) {
        recording.recorder?.opaque('an fs call failed');
        throw error;
      }
    };
  }


  async function openRegularFile(realPath: string, where: string): Promise<{ handle: fsp.FileHandle; size: number }> {
    const handle = await gate.openFile('fs.read', realPath, READ_FLAGS);
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw capabilityFailed(plugin, where, new Error(`"${realPath}" is not a regular file`));
    }
    return { handle, size: stat.size };
  }

  /**
   * A listed entry with its size and mtime, stat-ed by the host (the entry is inside a folder
   * the gate approved and is not a symlink, so `lstat` is what it is). A recording notes the
   * entry like a `stat` would; an entry gone since the listing keeps no size.
   */
  function withStat(entry: DirEntry, realEntry: string): DirEntry {
    const stat = lstatSync(realEntry, { throwIfNoEntry: false });
    if (stat === undefined) return entry;
    recording.recorder?.file(realEntry);
    return { ...entry, size: stat.size, mtimeMs: stat.mtimeMs };
  }

  async function write(where: string, requested: string, data: string, append: boolean): Promise<null> {
    recording.recorder?.opaque(`${where} wrote a file`);
    const bytes = Buffer.byteLength(data);
    if (bytes > limits.maxWriteBytes) {
      throw resultTooLarge(plugin, where, `${bytes} bytes is over the ${limits.maxWriteBytes}-byte limit of one write; write in parts`);
    }
    const real = await gate.checkPath('fs.write', requested);
    await fsp.mkdir(path.dirname(real), { recursive: true });
    const handle = await gate.openFile('fs.write', real, WRITE_FLAGS | (append ? fsConstants.O_APPEND : 0));
    try {
      if (!(await handle.stat()).isFile()) throw capabilityFailed(plugin, where, new Error(`"${requested}" is not a regular file`));
      // Truncate only after the opened file has been verified, never on open.
      if (!append) await handle.truncate(0);
      await handle.writeFile(data, 'utf8');
    } finally {
      await handle.close();
    }
    return null;
  }

  return {
    methods: {
      stat: method(plugin, statArgs, observed(async (args): Promise<FileStat | null> => {
        const real = await gate.checkPath('fs.read', args.path);
        let handle: fsp.FileHandle;
        try {
          handle = await gate.openFile('fs.read', real, READ_FLAGS);
        } catch (error) {
          if (isMissing(error)) {
            recording.recorder?.missing(real);
            return null;
          }
          throw error;
        }
        recording.recorder?.file(real);
        try {
          return toFileStat(gate.absolutePath('fs.read', args.path), await handle.stat());
        } finally {
          await handle.close();
        }
      })),

      list: method(plugin, listArgs, observed(async (args): Promise<DirEntry[]> => {
        const real = await gate.checkPath('fs.read', args.dir);
        const reported = gate.absolutePath('fs.read', args.dir);
        // Stat-ed before it is read: an entry added meanwhile moves the mtime past the one kept.
        recording.recorder?.directory(real);
        let entries;
        try {
          entries = await readDirectoryVerified(gate, real, limits.maxListEntries);
        } catch (error) {
          if (error instanceof TooManyEntries) throw resultTooLarge(plugin, 'fs.list', `"${args.dir}" has ${error.message}; use fs.glob with a pattern`);
          throw error;
        }
        return Promise.all(
          entries.map(async (entry): Promise<DirEntry> => {
            const entryPath = path.join(reported, entry.name);
            if (!entry.isSymbolicLink()) {
              const listed: DirEntry = { name: entry.name, path: entryPath, isFile: entry.isFile(), isDirectory: entry.isDirectory() };
              return args.stat === true ? withStat(listed, path.join(real, entry.name)) : listed;
            }
            // What a link points to can change without its directory changing.
            recording.recorder?.opaque('a listing held a symlink');
            const target = await statSymlinkTarget(gate, path.join(real, entry.name));
            const listed: DirEntry = { name: entry.name, path: entryPath, isFile: target?.isFile ?? false, isDirectory: target?.isDirectory ?? false };
            if (args.stat === true && target !== null) Object.assign(listed, { size: target.size, mtimeMs: target.mtimeMs });
            return listed;
          }),
        );
      })),

      glob: method(plugin, globArgs, observed(async (args): Promise<string[]> => {
        const realRoot = await gate.checkPath('fs.read', args.root);
        try {
          return await globWalk(gate, {
            realRoot,
            reportedRoot: gate.absolutePath('fs.read', args.root),
            pattern: args.pattern,
            maxResults: clamp(args.maxResults ?? DEFAULT_GLOB_RESULTS, limits.maxGlobResults),
            maxDirectories: limits.maxGlobDirectories,
            maxEntriesPerDirectory: limits.maxListEntries,
            recorder: recording.recorder,
          });
        } catch (error) {
          if (error instanceof GlobTooWide || error instanceof TooManyEntries) throw resultTooLarge(plugin, 'fs.glob', error.message);
          throw error;
        }
      })),

      read: method(plugin, readArgs, observed(async (args): Promise<ReadResult> => {
        const real = await gate.checkPath('fs.read', args.path);
        const { handle, size } = await openRegularFile(real, 'fs.read');
        recording.recorder?.file(real);
        try {
          const offset = args.offset ?? 0;
          // Sized by what the file holds, so a default-length read of a small file stays small.
          const length = Math.min(clamp(args.length ?? DEFAULT_READ_BYTES, limits.maxReadBytes), Math.max(0, size - offset));
          const buffer = Buffer.alloc(length);
          let bytesRead = 0;
          // One read may return less than asked even mid-file; loop until full or EOF.
          while (bytesRead < length) {
            const result = await handle.read(buffer, bytesRead, length - bytesRead, offset + bytesRead);
            if (result.bytesRead === 0) break;
            bytesRead += result.bytesRead;
          }
          return {
            data: buffer.toString(args.encoding ?? 'utf8', 0, bytesRead),
            bytesRead,
            eof: offset + bytesRead >= size,
          };
        } finally {
          await handle.close();
        }
      })),

      readLines: method(plugin, readLinesArgs, observed(async (args) => {
        const real = await gate.checkPath('fs.read', args.path);
        const { handle } = await openRegularFile(real, 'fs.readLines');
        recording.recorder?.file(real);
        try {
          const maxBytes = clamp(args.maxBytes ?? DEFAULT_READ_LINES_BYTES, limits.maxReadLinesBytes);
          return await readLinesFrom(handle, {
            offset: args.offset ?? 0,
            maxBytes,
            maxLines: args.maxLines ?? DEFAULT_MAX_LINES,
            maxLineBytes: Math.min(args.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, maxBytes),
            maxSkipScanBytes: limits.maxSkipScanBytes,
          });
        } finally {
          await handle.close();
        }
      })),

      writeFile: method(plugin, writeArgs, (args) => write('fs.writeFile', args.path, args.data, false)),
      appendFile: method(plugin, writeArgs, (args) => write('fs.appendFile', args.path, args.data, true)),
    },
  };
}
