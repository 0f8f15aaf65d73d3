import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { IngestLimits } from './ingest-limits';
import { TAIL_FINGERPRINT_BYTES } from './source-files';
import type { TailFingerprint } from './ingest-cursor-repository';

/** One bounded read of a jsonl source: the complete lines after `offset`, filtered. */
export interface JsonlChunk {
  /** The lines that passed `lineContains`, in file order, joined by `\n` (no trailing newline; `\r` before a newline dropped). */
  text: string;
  /** How many lines `text` holds. */
  lineCount: number;
  /** Byte offset of the first line in `text` (the chunk's start when none passed). */
  firstLineOffset: number;
  /** Where the next read starts: after the last complete line or skipped long line. */
  nextOffset: number;
  /** Complete lines read, before filtering. */
  linesRead: number;
  /** Lines over the line limit, scanned past unbuffered. */
  hugeLines: number;
  /** Nothing more to read now (the rest, if any, is a partial last line). */
  eof: boolean;
  /** Fingerprint of the bytes before `nextOffset`, when they were still in the read buffer (else `undefined`: read them again). */
  tail?: TailFingerprint | null;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Read buffers, reused: a run reads thousands of files, most of them in one read. */
export class ReadBuffers {
  private readonly free: Buffer[] = [];

  constructor(
    private readonly bytes: number,
    private readonly keep = 8,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.bytes);
  }

  give(buffer: Buffer): void {
    if (this.free.length < this.keep && buffer.length === this.bytes) this.free.push(buffer);
  }
}

/** Kept lines, copied together as they are found, decoded once. */
class KeptLines {
  private buffer: Buffer;
  private length = 0;
  count = 0;

  constructor(expected: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(1024, expected));
  }

  add(parts: readonly Buffer[], bytes: number): void {
    // A `\r` before the newline is not part of the line.
    let trimmed = bytes;
    const last = parts[parts.length - 1];
    if (last !== undefined && last.length > 0 && last[last.length - 1] === CARRIAGE_RETURN) trimmed -= 1;
    const needed = this.length + trimmed + 1;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    if (this.count > 0) this.buffer[this.length++] = NEWLINE;
    let left = trimmed;
    for (const part of parts) {
      const take = Math.min(part.length, left);
      part.copy(this.buffer, this.length, 0, take);
      this.length += take;
      left -= take;
    }
    this.count += 1;
  }

  text(): string {
    return this.buffer.toString('utf8', 0, this.length);
  }
}

/** Bytes that start a needle's search badly: JSON punctuation and lower-case ASCII, frequent in any log line. */
function isFrequent(byte: number): boolean {
  return byte === 0x22 || byte === 0x3a || byte === 0x2c || byte === 0x7b || byte === 0x7d || byte === 0x20 || (byte >= 0x61 && byte <= 0x7a);
}

/**
 * A needle and the part of it that is searched for: `Buffer.indexOf` runs a `memchr` for the
 * first byte of what it looks for, so a needle starting with `"` (in JSON, every few bytes)
 * is found at ~1.4 GB/s; its suffix from an upper-case letter or, failing one, from after the
 * punctuation is found 3–4× faster (`"usage"` → `usage"`: 3.7 GB/s; `costUSD` → `USD`: 17 GB/s,
 * on Claude Code transcripts), and the skipped prefix is compared at each hit.
 */
class Needle {
  readonly key: Buffer;
  /** Bytes of the needle before `key`. */
  readonly skip: number;

  constructor(readonly bytes: Buffer) {
    let skip = bytes.findIndex((byte) => byte >= 0x41 && byte <= 0x5a);
    if (skip === -1) skip = Math.max(0, bytes.findIndex((byte) => !isFrequent(byte) || (byte >= 0x61 && byte <= 0x7a)));
    this.skip = skip;
    this.key = bytes.subarray(skip);
  }

  /** Where the whole needle next starts in `view` at or after `from`, or -1. */
  find(view: Buffer, from: number): number {
    for (let at = view.indexOf(this.key, from + this.skip); at !== -1; at = view.indexOf(this.key, at + 1)) {
      const start = at - this.skip;
      if (start >= from && (this.skip === 0 || view.compare(this.bytes, 0, this.skip, start, at) === 0)) return start;
    }
    return -1;
  }
}

/**
 * Where each needle next occurs in the current read, so that deciding whether a line holds one
 * costs one forward scan per needle over the whole read, not one per line.
 */
class NeedleScan {
  private readonly next: number[];
  private readonly needles: Needle[];

  constructor(needles: readonly Buffer[]) {
    this.needles = needles.map((needle) => new Needle(needle));
    this.next = needles.map(() => -1);
  }

  reset(): void {
    this.next.fill(-1);
  }

  /** True when `view[start, end)` holds a needle. */
  within(view: Buffer, start: number, end: number): boolean {
    for (let index = 0; index < this.needles.length; index++) {
      const needle = this.needles[index] as Needle;
      let at = this.next[index] as number;
      if (at === -2) continue; // none left in this read
      if (at < start) {
        at = needle.find(view, start);
        this.next[index] = at === -1 ? -2 : at;
        if (at === -1) continue;
      }
      if (at + needle.bytes.length <= end) return true;
    }
    return false;
  }
}

function holdsNeedle(line: Buffer, needles: readonly Buffer[]): boolean {
  return needles.some((needle) => line.indexOf(needle) !== -1);
}

/**
 * Reads the next chunk of complete lines after `offset` straight from the file's bytes
 * (synchronously: from the page cache a read costs less than a promise round trip): a line
 * that holds none of `lineContains` is skipped without being decoded, and the kept ones are
 * copied together and decoded once, so that they cross into the sandbox as one string.
 *
 * Memory stays at one read buffer, the kept lines and at most `maxLineBytes` of a pending line,
 * whatever the file holds: a line longer than `maxLineBytes` is scanned past unbuffered and
 * counted in `hugeLines`; if scanning past it would exceed `skipScanBytes` (or the file ends
 * inside it), the chunk ends with `nextOffset` inside that line, and a read that starts
 * mid-line (the byte before `offset` is not a newline) carries on skipping it. `size` is the
 * file's size when it was opened: the read stops there (bytes appended since are the next
 * run's), which spares the read that would only find the end.
 */
export function readJsonlChunk(
  fd: number,
  offset: number,
  limits: IngestLimits,
  lineContains: readonly string[] | undefined,
  options: { size?: number; buffers?: ReadBuffers } = {},
): JsonlChunk {
  const buffers = options.buffers ?? new ReadBuffers(limits.readBufferBytes, 0);
  const end = options.size ?? Infinity;
  const needles = (lineContains ?? []).map((needle) => Buffer.from(needle, 'utf8'));
  const filtering = needles.length > 0;
  const scan = new NeedleScan(needles);
  const kept = new KeptLines(Math.min(limits.chunkBytes, Math.max(0, end - offset)) + 1);
  const buffer = buffers.take();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let consumed = 0;
  let linesRead = 0;
  let hugeLines = 0;
  let skipScanned = 0;
  let position = offset;
  let nextOffset = offset;
  let firstKept: number | undefined;
  let eof = false;
  // The last read, for the tail fingerprint: it covers [viewStart, viewStart + view.length).
  let view: Buffer = buffer.subarray(0, 0);
  let viewStart = offset;
  let skipping = offset > 0 && byteBefore(fd, offset) !== NEWLINE;

  try {
    reading: for (;;) {
      const wanted = Math.min(buffer.length, end - position);
      const bytesRead = wanted > 0 ? readSync(fd, buffer, 0, wanted, position) : 0;
      if (bytesRead === 0) {
        eof = true;
        // Ending inside an over-long line: hand out an offset past what was scanned, so the
        // next call resumes the skip instead of rescanning it.
        if (skipping) nextOffset = position;
        break;
      }
      view = buffer.subarray(0, bytesRead);
      viewStart = position;
      scan.reset();
      let start = 0;
      while (start < bytesRead) {
        const newline = view.indexOf(NEWLINE, start);
        if (newline === -1) {
          const tail = bytesRead - start;
          if (!skipping && pendingBytes + tail > limits.maxLineBytes) {
            skipping = true;
            skipScanned += pendingBytes;
            pending = [];
            pendingBytes = 0;
          }
          if (skipping) {
            skipScanned += tail;
          } else {
            // Copied: the buffer is reused by the next read.
            pending.push(Buffer.from(view.subarray(start, bytesRead)));
            pendingBytes += tail;
          }
          break;
        }
        const segment = newline - start;
        const lineEnd = position + newline + 1;
        if (skipping || pendingBytes + segment > limits.maxLineBytes) {
          hugeLines += 1;
          skipScanned += pendingBytes + segment + 1;
          skipping = false;
          pending = [];
          pendingBytes = 0;
          nextOffset = lineEnd;
        } else {
          const lineBytes = pendingBytes + segment + 1;
          if (linesRead > 0 && consumed + lineBytes > limits.chunkBytes) break reading;
          // Lines and skipped lines are contiguous, so this line began where the last one ended.
          const lineStart = nextOffset;
          let keep: boolean;
          if (pending.length === 0) {
            keep = !filtering || scan.within(view, start, newline);
            if (keep) kept.add([view.subarray(start, newline)], segment);
          } else {
            pending.push(view.subarray(start, newline));
            const line = Buffer.concat(pending, pendingBytes + segment);
            keep = !filtering || holdsNeedle(line, needles);
            if (keep) kept.add([line], line.length);
          }
          if (keep) firstKept ??= lineStart;
          linesRead += 1;
          consumed += lineBytes;
          pending = [];
          pendingBytes = 0;
          nextOffset = lineEnd;
          if (linesRead >= limits.chunkLines || consumed >= limits.chunkBytes) break reading;
        }
        start = newline + 1;
      }
      position += bytesRead;
      if (skipping && skipScanned >= limits.skipScanBytes) {
        nextOffset = position;
        break;
      }
    }
    return {
      text: kept.text(),
      lineCount: kept.count,
      firstLineOffset: firstKept ?? offset,
      nextOffset,
      linesRead,
      hugeLines,
      // Only a read that reached the end (or found nothing complete) means there is no more.
      eof: eof || nextOffset === offset,
      tail: tailFromView(view, viewStart, nextOffset),
    };
  } finally {
    buffers.give(buffer);
  }
}

/** The fingerprint of the bytes before `offset`, when the last read still holds them all. */
function tailFromView(view: Buffer, viewStart: number, offset: number): TailFingerprint | null | undefined {
  if (offset <= 0) return null;
  const bytes = Math.min(offset, TAIL_FINGERPRINT_BYTES);
  const from = offset - bytes - viewStart;
  const to = offset - viewStart;
  if (from < 0 || to > view.length) return undefined;
  return { bytes, sha256: createHash('sha256').update(view.subarray(from, to)).digest('hex') };
}

function byteBefore(fd: number, offset: number): number | null {
  const one = Buffer.alloc(1);
  return readSync(fd, one, 0, 1, offset - 1) === 1 ? (one[0] as number) : null;
}
