import type { SandboxLimits } from '../../../sandbox/isolate';

/** How much one ingest step may read and hand an adapter at once. */
export interface IngestLimits {
  /** Bytes of complete lines handed to one `parse` call. */
  chunkBytes: number;
  /** Lines handed to one `parse` call; also the most lines (of one or many chunks) one transaction commits. */
  chunkLines: number;
  /**
   * The longest jsonl line handed to an adapter, newline excluded. Longer lines (Claude's
   * `file-history-snapshot` can be hundreds of MB) are scanned past without being buffered
   * and counted as `huge-line` warnings.
   */
  maxLineBytes: number;
  /** Bytes of an over-long line one read may scan past before it reports progress. */
  skipScanBytes: number;
  /** The largest `json` source read whole; a bigger one is skipped with a `huge-line` warning. */
  maxJsonBytes: number;
  /** Size of each read from disk. */
  readBufferBytes: number;
  /** `parse` calls on one changed sqlite source in one run (the adapter pages with its state). */
  maxSqlitePages: number;
  /**
   * Sources of one adapter read at once: while the adapter parses one, the host reads others
   * and commits what is parsed, many small sources to one transaction.
   */
  sourcesInFlight: number;
  /** Bytes of source data one run holds read and not yet parsed, over all its sources. */
  bytesInFlight: number;
  /**
   * The longest a parsed chunk waits for more to share its transaction (fewer than `chunkLines`
   * lines queued). Short, so that a run's first writes start while it is still reading: with
   * the writer thread they overlap (an ingest of 10 MB appended to 1,950 transcripts: 1.80 →
   * 1.65 s at 100 ms instead of 1 s); a long run commits by `chunkLines` anyway.
   */
  commitDelayMs: number;
  /**
   * On SQLite, a transaction of at least this many records is written from a worker thread
   * (`Infinity`: never; `ingest.writerThread`, on by default, sets it). On two cores it takes
   * ~5–8% off a cold ingest of 1 GB and an ingest of 10 MB appended (see the README's ingest
   * bench) for ~60–80 MB more peak memory (the worker's heap and its own page cache).
   */
  writerThreadRecords: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimits> = Object.freeze({
  chunkBytes: 8 * MiB,
  chunkLines: 100_000,
  maxLineBytes: 8 * MiB,
  skipScanBytes: 64 * MiB,
  maxJsonBytes: 8 * MiB,
  readBufferBytes: 256 * 1024,
  maxSqlitePages: 1_000,
  sourcesInFlight: 16,
  bytesInFlight: 32 * MiB,
  commitDelayMs: 100,
  writerThreadRecords: Infinity,
});

/** The batch size from which `ingest.writerThread: true` writes from the worker thread: below it a thread start (~30 ms) and the copy are not worth it. */
export const WRITER_THREAD_RECORDS = 2_000;

/**
 * The limits for one adapter: the engine's, shrunk so that what `parse` receives and returns
 * fits the plugin's sandbox. A result over `maxResultBytes` kills the isolate, and the records
 * of a chunk are at most about the size of its lines, so a chunk is kept to half of it; a heap
 * of N MB parses lines of a few N/8 MB at most without running out.
 */
export function limitsForSandbox(base: IngestLimits, sandbox: Pick<SandboxLimits, 'maxResultBytes' | 'memoryMb'>): IngestLimits {
  const byResult = Math.floor(sandbox.maxResultBytes / 2);
  const byHeap = Math.floor((sandbox.memoryMb * MiB) / 8);
  const chunkBytes = Math.max(64 * 1024, Math.min(base.chunkBytes, byResult, byHeap));
  return {
    ...base,
    chunkBytes,
    maxLineBytes: Math.min(base.maxLineBytes, chunkBytes),
    maxJsonBytes: Math.min(base.maxJsonBytes, chunkBytes),
  };
}
