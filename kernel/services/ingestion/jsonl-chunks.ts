import type { FileHandle } from 'node:fs/promises';
import { readLinesFrom } from '../../../sandbox/capabilities/read-lines';
import type { IngestLimits } from './ingest-limits';

/** One bounded read of a jsonl source: the complete lines after `offset`, filtered. */
export interface JsonlChunk {
  /** Lines that passed `lineContains`, in file order. */
  lines: string[];
  /** Byte offset of the first line in `lines` (the chunk's start when none passed). */
  firstLineOffset: number;
  /** Where the next read starts: after the last complete line or skipped long line. */
  nextOffset: number;
  /** Complete lines read, before filtering. */
  linesRead: number;
  /** Lines over the line limit, scanned past unbuffered. */
  hugeLines: number;
  /** Nothing more to read now (the rest, if any, is a partial last line). */
  eof: boolean;
}

/**
 * Reads the next chunk of complete lines, with the same streaming reader the fs capability
 * uses (memory stays at one read buffer plus the longest line kept, whatever the file holds),
 * and drops the lines that contain none of `lineContains` before they cross into the sandbox.
 */
export async function readJsonlChunk(handle: FileHandle, offset: number, limits: IngestLimits, lineContains: readonly string[] | undefined): Promise<JsonlChunk> {
  const lineStarts: number[] = [];
  const result = await readLinesFrom(handle, {
    offset,
    maxBytes: limits.chunkBytes,
    maxLines: limits.chunkLines,
    maxLineBytes: limits.maxLineBytes,
    maxSkipScanBytes: limits.skipScanBytes,
    chunkBytes: limits.readBufferBytes,
    lineStarts,
  });
  let lines = result.lines;
  let firstLineOffset = lineStarts[0] ?? offset;
  if (lineContains !== undefined && lineContains.length > 0) {
    const kept: string[] = [];
    let firstKept: number | undefined;
    for (let index = 0; index < result.lines.length; index++) {
      const line = result.lines[index] as string;
      if (lineContains.some((needle) => line.includes(needle))) {
        kept.push(line);
        firstKept ??= lineStarts[index];
      }
    }
    lines = kept;
    firstLineOffset = firstKept ?? offset;
  }
  return {
    lines,
    firstLineOffset,
    nextOffset: result.nextOffset,
    linesRead: result.lines.length,
    hugeLines: result.skippedLongLines,
    // readLinesFrom stops at a byte or line bound before the end; only a read that reached
    // the end (or found nothing complete) means there is no more.
    eof: result.eof || result.nextOffset === offset,
  };
}
