import { closeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { IngestSource } from '../../../sdk/src/kinds/adapter';
import { checkParseOutput, type CheckedParseOutput } from './adapter-output';
import type { ChunkCommitter, QueuedCommit } from './chunk-committer';
import type { SourceChain } from './chunk-writer';
import { emptyTally, tallyOf, type AdapterRun, type ChunkWarnings, type CursorPosition, type IngestOptions, type RunContext, type SourceBytes, type SourceOutcome } from './ingest-run';
import { readJsonlChunk, ReadBuffers, type JsonlChunk } from './jsonl-chunks';
import { ParseBatches } from './parse-batches';
import type { LinesText } from '../../../sandbox/isolate';
import type { IngestCursor } from './ingest-cursor-repository';
import { openSourceFileSync, readWholeSync, sqliteSignature, tailFingerprintSync, tailStillMatchesSync, unchangedSince, type FileIdentity } from './source-files';

/** A jsonl chunk read and parsed, waiting to be handed to the committer. */
interface PreparedChunk {
  chunk: JsonlChunk;
  output: CheckedParseOutput | null;
  warnings: ChunkWarnings;
  next: CursorPosition;
}

function sameState(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A source read through, its chunks handed to the committer: `settled` resolves to how it fared
 * once the last of them is committed (and rejects when one failed to be written).
 */
export interface SourceReading {
  settled: Promise<SourceOutcome>;
}

const settledAs = (outcome: SourceOutcome): SourceReading => ({ settled: Promise.resolve(outcome) });

/** One pass over a source: its chain in the committer and the commits of its chunks. */
class SourcePass {
  readonly chain: SourceChain;
  private readonly commits: Array<Promise<boolean>> = [];
  private failure: { error: unknown } | undefined;

  constructor(cursor: IngestCursor | null) {
    this.chain = { cursor, stopped: null };
  }

  /** Counts a queued chunk; `committed` runs when its transaction committed it. */
  add(queued: QueuedCommit, committed: () => void): void {
    this.commits.push(
      queued.done.then(
        (result) => {
          if (result === null) return false;
          committed();
          return true;
        },
        (error: unknown) => {
          this.failure ??= { error };
          return false;
        },
      ),
    );
  }

  /** Nothing more of this pass will be written: stop reading it. */
  get stopped(): boolean {
    return this.chain.stopped !== null;
  }

  reading(): SourceReading {
    return {
      settled: Promise.all(this.commits).then((written) => {
        if (this.failure !== undefined) throw this.failure.error;
        return written.every(Boolean) ? 'read' : 'superseded';
      }),
    };
  }
}

/**
 * The read half of ingestion, one method per source kind: what is new since the cursor goes to
 * the adapter's `parse`, and each result to the committer. Each resolves once the source is read
 * through (its chunks queued for their transactions), with how it fared to come.
 */
export class SourceReaders {
  private readonly buffers: ReadBuffers;
  private readonly batches = new WeakMap<AdapterRun, ParseBatches>();

  constructor(
    private readonly committer: ChunkCommitter,
    private readonly aborted: (options: IngestOptions) => boolean,
    private readonly log: Logger,
    readBufferBytes: number,
  ) {
    this.buffers = new ReadBuffers(readBufferBytes);
  }

  private async parse(run: AdapterRun, context: RunContext, input: Record<string, unknown>, lines?: LinesText): Promise<CheckedParseOutput> {
    await context.beforeParsing();
    let batches = this.batches.get(run);
    if (batches === undefined) {
      // Half a chunk: a batch's reply stays as far under the result limit as one chunk's does.
      batches = new ParseBatches(run.sandbox, Math.floor(run.limits.chunkBytes / 2));
      this.batches.set(run, batches);
    }
    const output = await batches.parse(input, lines);
    return checkParseOutput(run.adapter.plugin, run.adapter.agentType, output);
  }

  // ---- jsonl: only the bytes after the cursor, a bounded chunk at a time ----

  async jsonl(run: AdapterRun, source: IngestSource, context: RunContext, read: SourceBytes): Promise<SourceReading> {
    const known = run.cursors.get(source.id);
    if (known !== undefined && known.plugin === run.adapter.plugin && unchangedSince(run.gate, source.path, known)) return settledAs('unchanged');
    const opened = openSourceFileSync(run.gate, source.path);
    if (opened === null) return settledAs('missing');
    const { fd, identity } = opened;
    try {
      const cursor = run.cursors.get(source.id) ?? null;
      let restart = cursor === null || cursor.plugin !== run.adapter.plugin || cursor.inode !== identity.inode || identity.size < cursor.offset;
      if (!restart && cursor !== null && cursor.size === identity.size && cursor.mtimeMs === identity.mtimeMs) return settledAs('unchanged');
      // Same inode, not shorter: still the same bytes before the offset, or rewritten in place?
      if (!restart && cursor !== null && !tailStillMatchesSync(fd, cursor.offset, cursor.tail)) restart = true;
      if (restart && cursor !== null) this.log.debug({ plugin: run.adapter.plugin, source: source.id }, 'source truncated or replaced; reading it again from the start');

      const pass = new SourcePass(cursor);
      let offset = restart || cursor === null ? 0 : cursor.offset;
      const state = restart || cursor === null ? undefined : cursor.state;
      const tally = restart || cursor === null ? emptyTally() : tallyOf(cursor);
      // Read-ahead: while one chunk is being handed over (and written), the adapter already
      // parses the next one in its isolate's thread.
      let pending: Promise<PreparedChunk | null> | null = this.prepareJsonlChunk(run, source, fd, identity, offset, state, true, context);
      try {
        while (pending !== null) {
          const prepared: PreparedChunk | null = await pending;
          pending = null;
          if (prepared === null) break;
          const { chunk } = prepared;
          if (!chunk.eof && !this.aborted(context.options) && !pass.stopped) {
            pending = this.prepareJsonlChunk(run, source, fd, identity, chunk.nextOffset, prepared.next.state, false, context);
          }
          const step = { chain: pass.chain, next: prepared.next, output: prepared.output, warnings: prepared.warnings, tally, identity, lines: chunk.linesRead + chunk.hugeLines };
          const bytes = chunk.nextOffset - offset;
          const { eof } = chunk;
          pass.add(await this.committer.enqueue(run, source, context, step), () => {
            context.summary.bytesRead += bytes;
            context.progress.bytesDone += bytes;
            read.bytes += bytes;
            if (!eof) context.options.onProgress?.({ ...context.progress, plugin: run.adapter.plugin, sourceId: source.id });
          });
          offset = chunk.nextOffset;
          if (eof) break;
        }
      } finally {
        // Never close the file under a read-ahead still in flight (its result is dropped).
        await pending?.catch(() => undefined);
      }
      return pass.reading();
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Reads the next chunk after `offset` and has the adapter parse it; `null` when nothing
   * complete follows (except on the first read, which records the file as seen). The lines
   * count against the run's byte budget until they are parsed.
   */
  private async prepareJsonlChunk(
    run: AdapterRun,
    source: IngestSource,
    fd: number,
    identity: FileIdentity,
    offset: number,
    state: unknown,
    first: boolean,
    context: RunContext,
  ): Promise<PreparedChunk | null> {
    if (this.aborted(context.options)) return null;
    const release = await context.budget.take(Math.min(run.limits.chunkBytes, Math.max(0, identity.size - offset)));
    try {
      return await this.readAndParse(run, source, fd, identity, offset, state, first, context);
    } finally {
      release();
    }
  }

  private async readAndParse(
    run: AdapterRun,
    source: IngestSource,
    fd: number,
    identity: FileIdentity,
    offset: number,
    state: unknown,
    first: boolean,
    context: RunContext,
  ): Promise<PreparedChunk | null> {
    const chunk = readJsonlChunk(fd, offset, run.limits, source.lineContains, { size: identity.size, buffers: this.buffers });
    context.bytesScanned += chunk.nextOffset - offset;
    if (chunk.nextOffset === offset && !first) return null;
    const warnings: ChunkWarnings = { counts: {}, samples: [] };
    if (chunk.hugeLines > 0) {
      warnings.counts['huge-line'] = chunk.hugeLines;
      warnings.samples.push(`huge-line: ${chunk.hugeLines} line(s) over ${run.limits.maxLineBytes} bytes skipped unread`);
    }
    let output: CheckedParseOutput | null = null;
    if (chunk.lineCount > 0) {
      output = await this.parse(run, context, { source, offset: chunk.firstLineOffset, state }, { text: chunk.text, count: chunk.lineCount });
      context.summary.chunks += 1;
    }
    const next: CursorPosition = {
      sourceId: source.id,
      plugin: run.adapter.plugin,
      inode: identity.inode,
      // Until the pass reaches the end, the cursor claims only the bytes it consumed: a run
      // killed between chunks must not leave a cursor that looks like the whole file.
      size: chunk.eof ? identity.size : chunk.nextOffset,
      mtimeMs: identity.mtimeMs,
      offset: chunk.nextOffset,
      state: output === null ? state : output.state,
      tail: chunk.tail !== undefined ? chunk.tail : tailFingerprintSync(fd, chunk.nextOffset),
    };
    // The lines are no longer needed once parsed.
    chunk.text = '';
    return { chunk, output, warnings, next };
  }

  // ---- json: the whole document, again whenever it changed ----

  async json(run: AdapterRun, source: IngestSource, context: RunContext, read: SourceBytes): Promise<SourceReading> {
    const known = run.cursors.get(source.id);
    if (known !== undefined && known.plugin === run.adapter.plugin && unchangedSince(run.gate, source.path, known)) return settledAs('unchanged');
    const opened = openSourceFileSync(run.gate, source.path);
    if (opened === null) return settledAs('missing');
    const { fd, identity } = opened;
    try {
      const cursor = run.cursors.get(source.id) ?? null;
      const same =
        cursor !== null && cursor.plugin === run.adapter.plugin && cursor.inode === identity.inode && cursor.size === identity.size && cursor.mtimeMs === identity.mtimeMs;
      if (same) return settledAs('unchanged');
      const warnings: ChunkWarnings = { counts: {}, samples: [] };
      let output: CheckedParseOutput | null = null;
      if (identity.size > run.limits.maxJsonBytes) {
        warnings.counts['huge-line'] = 1;
        warnings.samples.push(`huge-line: the document is ${identity.size} bytes, over the ${run.limits.maxJsonBytes}-byte limit; skipped unread`);
      } else {
        const release = await context.budget.take(identity.size);
        try {
          const text = readWholeSync(fd, identity.size).toString('utf8');
          context.bytesScanned += identity.size;
          output = await this.parse(run, context, { source, text });
        } finally {
          release();
        }
        context.summary.chunks += 1;
      }
      const next: CursorPosition = {
        sourceId: source.id,
        plugin: run.adapter.plugin,
        inode: identity.inode,
        size: identity.size,
        mtimeMs: identity.mtimeMs,
        offset: identity.size,
        state: output?.state,
      };
      const pass = new SourcePass(cursor);
      // A document is read whole each time, so its warnings start again from zero.
      const step = { chain: pass.chain, next, output, warnings, tally: emptyTally(), identity, lines: output?.records.length ?? 0 };
      const bytes = output === null ? 0 : identity.size;
      pass.add(await this.committer.enqueue(run, source, context, step), () => {
        context.summary.bytesRead += bytes;
        context.progress.bytesDone += bytes;
        read.bytes += bytes;
      });
      return pass.reading();
    } finally {
      closeSync(fd);
    }
  }

  // ---- sqlite: the adapter queries the database itself; the host only notices that it changed ----

  async sqlite(run: AdapterRun, source: IngestSource, context: RunContext): Promise<SourceReading> {
    const seen = await sqliteSignature(run.gate, source.path);
    if (seen === null) return settledAs('missing');
    const cursor = run.cursors.get(source.id) ?? null;
    const ours = cursor !== null && cursor.plugin === run.adapter.plugin ? cursor : null;
    if (ours !== null && ours.signature === seen.signature) return settledAs('unchanged');
    const pass = new SourcePass(cursor);
    let state = ours?.state;
    const tally = ours === null ? emptyTally() : tallyOf(ours);
    for (let page = 0; page < run.limits.maxSqlitePages; page++) {
      if (this.aborted(context.options) || pass.stopped) break;
      const output = await this.parse(run, context, { source, state });
      context.summary.chunks += 1;
      // An adapter that pages keeps its position in its state; one whose state did not move is done.
      const done = sameState(output.state, state) || page === run.limits.maxSqlitePages - 1;
      const next: CursorPosition = {
        sourceId: source.id,
        plugin: run.adapter.plugin,
        inode: seen.identity.inode,
        size: seen.identity.size,
        mtimeMs: seen.identity.mtimeMs,
        offset: 0,
        state: output.state,
        // Only a finished pass records what it saw: a run stopped half-way resumes next time.
        signature: done ? seen.signature : (ours?.signature ?? null),
      };
      const step = { chain: pass.chain, next, output, warnings: { counts: {}, samples: [] }, tally, identity: seen.identity, lines: output.records.length };
      pass.add(await this.committer.enqueue(run, source, context, step), () => undefined);
      state = output.state;
      if (done) break;
    }
    return pass.reading();
  }
}
