import type { FileHandle } from 'node:fs/promises';
import type { ReadLinesResult } from '../../sdk/src/capabilities';

export interface ReadLinesBounds {
  offset: number;
  /** Bytes of returned lines (newlines included) after which the call stops. */
  maxBytes: number;
  maxLines: number;
  /** Longest line kept, newline excluded; longer ones are skipped without being buffered. */
  maxLineBytes: number;
  /** Bytes of skipped lines one call may scan past before it returns mid-line. */
  maxSkipScanBytes: number;
  chunkBytes?: number;
  /**
   * When given, receives the byte offset at which each returned line starts, in order (host
   * callers that need them, e.g. the ingestion engine; not part of the capability's result).
   */
  lineStarts?: number[];
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * Reads complete lines from `offset`, a chunk at a time, keeping memory at one chunk plus at
 * most `maxLineBytes` of a pending line whatever the file holds.
 *
 * A line longer than `maxLineBytes` is never buffered: it is scanned past, counted in
 * `skippedLongLines`, and `nextOffset` moves beyond it. If even scanning past it would exceed
 * `maxSkipScanBytes` (or the file ends inside it), the call returns with `nextOffset` inside
 * that line; a call that starts mid-line (the byte before `offset` is not a newline) carries
 * on skipping it. Offsets handed out are therefore always safe to pass back, with no state
 * kept on the host between calls.
 */
export async function readLinesFrom(handle: FileHandle, bounds: ReadLinesBounds): Promise<ReadLinesResult> {
  const chunk = Buffer.allocUnsafe(bounds.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const lines: string[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let consumed = 0;
  let skippedLongLines = 0;
  let skipScanned = 0;
  let position = bounds.offset;
  let nextOffset = bounds.offset;
  let skipping = bounds.offset > 0 && (await byteBefore(handle, bounds.offset)) !== NEWLINE;
  let eof = false;

  reading: for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) {
      eof = true;
      // Ending inside an over-long line: hand out an offset past what was scanned, so the
      // next call resumes the skip instead of rescanning it.
      if (skipping) nextOffset = position;
      break;
    }
    const view = chunk.subarray(0, bytesRead);
    let start = 0;
    while (start < bytesRead) {
      const newline = view.indexOf(NEWLINE, start);
      if (newline === -1) {
        const tail = bytesRead - start;
        if (!skipping && pendingBytes + tail > bounds.maxLineBytes) {
          skipping = true;
          skipScanned += pendingBytes;
          pending = [];
          pendingBytes = 0;
        }
        if (skipping) {
          skipScanned += tail;
        } else {
          // Copied: `chunk` is reused by the next read.
          pending.push(Buffer.from(view.subarray(start, bytesRead)));
          pendingBytes += tail;
        }
        break;
      }
      const segment = newline - start;
      const lineEnd = position + newline + 1;
      if (skipping || pendingBytes + segment > bounds.maxLineBytes) {
        skippedLongLines += 1;
        skipScanned += pendingBytes + segment + 1;
        skipping = false;
        pending = [];
        pendingBytes = 0;
        nextOffset = lineEnd;
      } else {
        const lineBytes = pendingBytes + segment + 1;
        if (lines.length > 0 && consumed + lineBytes > bounds.maxBytes) break reading;
        pending.push(view.subarray(start, newline));
        // Lines and skipped lines are contiguous, so this line began where the last one ended.
        bounds.lineStarts?.push(nextOffset);
        lines.push(decodeLine(pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes + segment)));
        consumed += lineBytes;
        pending = [];
        pendingBytes = 0;
        nextOffset = lineEnd;
        if (lines.length >= bounds.maxLines || consumed >= bounds.maxBytes) break reading;
      }
      start = newline + 1;
    }
    position += bytesRead;
    if (skipping && skipScanned >= bounds.maxSkipScanBytes) {
      nextOffset = position;
      break;
    }
  }
  return { lines, nextOffset, eof, skippedLongLines };
}

function decodeLine(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}

async function byteBefore(handle: FileHandle, offset: number): Promise<number | null> {
  const one = Buffer.alloc(1);
  const { bytesRead } = await handle.read(one, 0, 1, offset - 1);
  return bytesRead === 1 ? one[0] : null;
}
