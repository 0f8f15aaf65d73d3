import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ReadLinesResult } from '../../../sdk/src/capabilities';
import { readLinesFrom, type ReadLinesBounds } from '../../../sandbox/capabilities/read-lines';
import { makeHost, makeTempDir, type HostFixture } from './host-fixture';

const MiB = 1024 * 1024;

/** Deterministic lines of varied length, with multi-byte characters, so chunk edges fall everywhere. */
function generatedLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${i}:${'é'.repeat(i % 7)}${'x'.repeat((i * 37) % 150)}`);
}

async function readAll(file: string, bounds: Omit<ReadLinesBounds, 'offset'>): Promise<{ lines: string[]; calls: number; skipped: number; last: ReadLinesResult }> {
  const handle = await fsp.open(file, 'r');
  try {
    const lines: string[] = [];
    let offset = 0;
    let calls = 0;
    let skipped = 0;
    for (;;) {
      const result = await readLinesFrom(handle, { ...bounds, offset });
      calls += 1;
      lines.push(...result.lines);
      skipped += result.skippedLongLines;
      if (result.eof && result.nextOffset === offset) return { lines, calls, skipped, last: result };
      offset = result.nextOffset;
    }
  } finally {
    await handle.close();
  }
}

describe('readLinesFrom', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('rimuru-lines-');
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const loose = { maxBytes: MiB, maxLines: 1000, maxLineBytes: MiB, maxSkipScanBytes: 64 * MiB };

  it('returns every line exactly once across chunk boundaries and resumed calls', async () => {
    const lines = generatedLines(500);
    const file = path.join(dir, 'lines.jsonl');
    await fsp.writeFile(file, `${lines.join('\n')}\n`);
    for (const chunkBytes of [1, 7, 64, 4096]) {
      const { lines: read, calls } = await readAll(file, { ...loose, maxLines: 13, chunkBytes });
      expect(read).toEqual(lines);
      expect(calls).toBeGreaterThan(500 / 13);
    }
  });

  it('strips CRLF, including a \\r and \\n that land in different chunks', async () => {
    const file = path.join(dir, 'crlf.log');
    await fsp.writeFile(file, 'ab\r\ncd\r\n\r\nlast\r\n');
    for (const chunkBytes of [3, 4, 5, 64]) {
      expect((await readAll(file, { ...loose, chunkBytes })).lines).toEqual(['ab', 'cd', '', 'last']);
    }
  });

  it('keeps a trailing partial line for later and returns it once it is complete', async () => {
    const file = path.join(dir, 'growing.log');
    await fsp.writeFile(file, 'one\ntw');
    const handle = await fsp.open(file, 'r');
    try {
      const first = await readLinesFrom(handle, { ...loose, offset: 0 });
      expect(first).toEqual({ lines: ['one'], nextOffset: 4, eof: true, skippedLongLines: 0 });
      await fsp.appendFile(file, 'o\n');
      expect(await readLinesFrom(handle, { ...loose, offset: first.nextOffset })).toEqual({
        lines: ['two'],
        nextOffset: 8,
        eof: true,
        skippedLongLines: 0,
      });
    } finally {
      await handle.close();
    }
  });

  it('stops before a line that would go over maxBytes, without losing it', async () => {
    const file = path.join(dir, 'sized.log');
    await fsp.writeFile(file, 'aaaa\nbbbb\ncccc\n');
    const handle = await fsp.open(file, 'r');
    try {
      const first = await readLinesFrom(handle, { ...loose, offset: 0, maxBytes: 12 });
      expect(first).toEqual({ lines: ['aaaa', 'bbbb'], nextOffset: 10, eof: false, skippedLongLines: 0 });
      expect((await readLinesFrom(handle, { ...loose, offset: 10, maxBytes: 12 })).lines).toEqual(['cccc']);
    } finally {
      await handle.close();
    }
  });

  it('skips over-long lines, counts them, and moves past them', async () => {
    const file = path.join(dir, 'long.log');
    await fsp.writeFile(file, `short\n${'y'.repeat(100)}\n${'z'.repeat(30)}\nend\n`);
    const result = await readAll(file, { ...loose, maxLineBytes: 20, chunkBytes: 8 });
    expect(result.lines).toEqual(['short', 'end']);
    expect(result.skipped).toBe(2);
  });

  it('returns mid-line when the skip budget runs out and carries on skipping from there', async () => {
    const file = path.join(dir, 'budget.log');
    await fsp.writeFile(file, `a\n${'q'.repeat(1000)}\nb\n`);
    const result = await readAll(file, { ...loose, maxLineBytes: 10, maxSkipScanBytes: 100, chunkBytes: 16 });
    expect(result.lines).toEqual(['a', 'b']);
    expect(result.skipped).toBe(1);
    expect(result.calls).toBeGreaterThan(5);
  });
});

describe('fs.readLines through the capability host', () => {
  let dir: string;
  let fx: HostFixture;
  beforeEach(async () => {
    dir = await makeTempDir('rimuru-lines-host-');
    fx = await makeHost({ baseDir: dir, permissions: { 'fs.read': [dir] } });
  });
  afterEach(async () => {
    await fx.dispose();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('skips a 50 MB single line with memory far below its size, then resumes', async () => {
    const file = path.join(dir, 'huge.jsonl');
    const handle = await fsp.open(file, 'w');
    const block = Buffer.alloc(MiB, 'x');
    await handle.write('first\n');
    for (let i = 0; i < 50; i += 1) await handle.write(block);
    await handle.write('\nlast\n');
    await handle.close();
    const size = (await fsp.stat(file)).size;

    const before = process.memoryUsage().rss;
    const result = await fx.call<ReadLinesResult>('fs', 'readLines', { path: file, maxLineBytes: MiB });
    const growth = process.memoryUsage().rss - before;

    expect(result).toEqual({ lines: ['first', 'last'], nextOffset: size, eof: true, skippedLongLines: 1 });
    // A memory bound, not a timing one: buffering the line would add at least its 50 MB.
    expect(growth).toBeLessThan(16 * MiB);
    expect(await fx.call('fs', 'readLines', { path: file, offset: result.nextOffset })).toEqual({
      lines: [],
      nextOffset: size,
      eof: true,
      skippedLongLines: 0,
    });
  });

  it('resumes from nextOffset until the end', async () => {
    const lines = generatedLines(50);
    const file = path.join(dir, 'session.jsonl');
    await fsp.writeFile(file, `${lines.join('\n')}\n`);
    const read: string[] = [];
    let offset = 0;
    for (let calls = 0; calls < 100; calls += 1) {
      const result = await fx.call<ReadLinesResult>('fs', 'readLines', { path: file, offset, maxLines: 8 });
      read.push(...result.lines);
      if (result.lines.length === 0 && result.eof) break;
      offset = result.nextOffset;
    }
    expect(read).toEqual(lines);
  });
});
