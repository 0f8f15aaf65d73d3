import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { ErrorCodes, ExportError } from '../../core/errors';

/** Where an export's text goes, with backpressure; `commit` makes it final, `abort` leaves nothing half-written behind. */
export interface ExportDestination {
  /** Resolves once the stream can take more (after 'drain' when its buffer was full). */
  write(text: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  /** Bytes written so far. */
  readonly bytes: number;
  /** True when the reader went away (stdout piped into `head`): the export stops early, quietly. */
  readonly closed: boolean;
  /** What to call it in messages: the file, or `stdout`. */
  readonly name: string;
}

const HIGH_WATER_MARK = 1024 * 1024;

/**
 * Writes into `stream`, waiting for 'drain' whenever `write` says its buffer is full, so a
 * slow reader slows the export instead of filling memory. Stream errors reject the next write.
 */
class StreamWriter {
  bytes = 0;
  private failure: Error | undefined;
  private readonly waiters = new Set<(error?: Error) => void>();

  constructor(
    private readonly stream: Writable,
    private readonly isGone: (error: Error) => boolean,
  ) {
    stream.on('error', this.onError);
    stream.on('drain', this.onDrain);
  }

  closed = false;

  private readonly onError = (error: Error): void => {
    if (this.isGone(error)) this.closed = true;
    else this.failure = error;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  };

  private readonly onDrain = (): void => {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  };

  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed || text.length === 0) return;
    this.bytes += Buffer.byteLength(text, 'utf8');
    if (this.stream.write(text, 'utf8')) return;
    await new Promise<void>((resolve) => this.waiters.add(() => resolve()));
    if (this.failure) throw this.failure;
  }

  /** Stops listening; a later stream error (EPIPE after the end) is ignored rather than crashing the process. */
  detach(): void {
    this.stream.off('error', this.onError);
    this.stream.off('drain', this.onDrain);
    this.stream.on('error', () => undefined);
  }

  error(): Error | undefined {
    return this.failure;
  }
}

function writeFailed(name: string, cause: unknown): ExportError {
  return new ExportError(ErrorCodes.EXPORT_WRITE_FAILED, `cannot write the export to ${name}: ${cause instanceof Error ? cause.message : String(cause)}`, {
    cause,
    details: { destination: name },
  });
}

/**
 * A file written as `<file>.<pid>.<random>.tmp` beside it and renamed over it once complete and
 * flushed: a failed or interrupted export never leaves a half file under the target's name
 * (and an existing file there stays as it was until the new one is whole).
 * @throws ExportError E9102 when the temp file cannot be created.
 */
export async function fileDestination(file: string): Promise<ExportDestination> {
  const target = path.resolve(file);
  const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(temp, 'wx', 0o666);
  } catch (cause) {
    throw writeFailed(target, cause);
  }
  const stream = handle.createWriteStream({ autoClose: false, highWaterMark: HIGH_WATER_MARK });
  const writer = new StreamWriter(stream, () => false);
  let finished = false;
  const release = async (): Promise<void> => {
    writer.detach();
    // The stream holds the handle open until it is destroyed, even with autoClose off: close would wait forever.
    stream.destroy();
    await handle.close().catch(() => undefined);
  };
  return {
    name: target,
    get bytes() {
      return writer.bytes;
    },
    closed: false,
    async write(text) {
      try {
        await writer.write(text);
      } catch (cause) {
        throw writeFailed(target, cause);
      }
    },
    async commit() {
      if (finished) return;
      finished = true;
      try {
        await new Promise<void>((resolve, reject) => {
          stream.once('error', reject);
          stream.end(() => resolve());
        });
        const failure = writer.error();
        if (failure) throw failure;
        await handle.sync();
        await release();
        await fs.rename(temp, target);
      } catch (cause) {
        await release();
        await fs.rm(temp, { force: true });
        throw writeFailed(target, cause);
      }
    },
    async abort() {
      if (finished) return;
      finished = true;
      await release();
      await fs.rm(temp, { force: true });
    },
  };
}

/**
 * An already open stream (stdout). A reader that goes away (EPIPE: `| head`) ends the export
 * early without an error; `commit` waits until everything written was handed to the OS.
 */
export function streamDestination(stream: Writable, name = 'stdout'): ExportDestination {
  const writer = new StreamWriter(stream, (error) => (error as NodeJS.ErrnoException).code === 'EPIPE' || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_DESTROYED');
  return {
    name,
    get bytes() {
      return writer.bytes;
    },
    get closed() {
      return writer.closed;
    },
    async write(text) {
      try {
        await writer.write(text);
      } catch (cause) {
        throw writeFailed(name, cause);
      }
    },
    async commit() {
      // An empty write's callback runs once everything written before it was flushed.
      if (!writer.closed && !stream.destroyed) await new Promise<void>((resolve) => stream.write('', () => resolve()));
      writer.detach();
      const failure = writer.error();
      if (failure) throw writeFailed(name, failure);
    },
    async abort() {
      writer.detach();
    },
  };
}
