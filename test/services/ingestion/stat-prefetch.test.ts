import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { statFacts } from '../../../sandbox/capabilities/fs-observations';
import { PermissionGate } from '../../../sandbox/permissions';
import { LARGE_INGEST_BYTES, withHeapGrowthForIngest } from '../../../kernel/services/ingestion/heap-growth';
import { unchangedSince } from '../../../kernel/services/ingestion/source-files';
import { StatPrefetch } from '../../../kernel/services/ingestion/stat-prefetch';

jest.mock('node:v8', () => ({ ...jest.requireActual('node:v8'), setFlagsFromString: jest.fn() }));

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rimuru-prefetch-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('StatPrefetch', () => {
  it('answers as a stat taken when it ran: files, folders, missing paths; anything it was not given is stat-ed on the spot', async () => {
    const file = path.join(dir, 'a.jsonl');
    writeFileSync(file, 'one\n');
    mkdirSync(path.join(dir, 'sub'));
    const missing = path.join(dir, 'gone.jsonl');
    const prefetch = StatPrefetch.start([file, `${dir}//sub/`, missing, 'relative/path']);
    await prefetch.ready;

    expect(prefetch.lookup(file)).toEqual(statFacts(file));
    expect(prefetch.lookup(path.join(dir, 'sub'))).toEqual(statFacts(path.join(dir, 'sub')));
    expect(prefetch.lookup(path.join(dir, 'sub'))?.type).toBe('dir');
    expect(prefetch.lookup(missing)).toBeUndefined();

    // Changed after the prefetch: its answer stays what it saw (the change is the next run's)…
    const before = prefetch.lookup(file);
    appendFileSync(file, 'two\n');
    expect(prefetch.lookup(file)).toEqual(before);
    // …while a path it was not given is stat-ed now.
    const other = path.join(dir, 'b.jsonl');
    writeFileSync(other, 'x');
    expect(prefetch.lookup(other)).toEqual(statFacts(other));
  });

  it('is ready at once with nothing to stat', async () => {
    const prefetch = StatPrefetch.start([]);
    await prefetch.ready;
    const file = path.join(dir, 'late.jsonl');
    writeFileSync(file, 'x');
    expect(prefetch.lookup(file)).toEqual(statFacts(file));
  });
});

describe('unchangedSince with prefetched stats', () => {
  it('rounds a nanosecond mtime to the ms exactly as the cursor recorded it from a plain stat, near a ms boundary too', async () => {
    const gate = new PermissionGate({ plugin: 'p', permissions: { 'fs.read': [dir] }, env: {}, homeDir: dir });
    const file = path.join(dir, 'edge.jsonl');
    writeFileSync(file, 'line\n');
    for (const seconds of [1_763_000_000.123_999_9, 1_763_000_000.999_999_9, 1_763_000_000.5, 1_700_000_000.000_000_1]) {
      utimesSync(file, seconds, seconds);
      const plain = statSync(file);
      const cursor = { inode: String(plain.ino), size: plain.size, mtimeMs: Math.floor(plain.mtimeMs) };
      const prefetch = StatPrefetch.start([file]);
      await prefetch.ready;
      expect(unchangedSince(gate, file, cursor, prefetch.lookup)).toBe(unchangedSince(gate, file, cursor));
      expect(unchangedSince(gate, file, cursor, prefetch.lookup)).toBe(true);
      expect(unchangedSince(gate, file, { ...cursor, size: cursor.size + 1 }, prefetch.lookup)).toBe(false);
    }
  });
});

describe('withHeapGrowthForIngest', () => {
  it('tightens V8 heap growth once an ingest has read a lot, once for overlapping runs, and restores it after (also on failure)', async () => {
    const flags = setFlagsFromString as jest.Mock;
    flags.mockClear();
    let read = 0;
    let release: () => void = () => undefined;
    const small = withHeapGrowthForIngest(() => 1024, () => new Promise<void>((resolve) => setTimeout(resolve, 250)));
    const large = withHeapGrowthForIngest(() => read, () => new Promise<void>((resolve) => (release = resolve)));
    const failing = withHeapGrowthForIngest(() => LARGE_INGEST_BYTES, () => new Promise<void>((_, reject) => setTimeout(() => reject(new Error('boom')), 250)));
    await small;
    // The failing run read a lot: tightened; the small one never was.
    expect(flags.mock.calls).toEqual([['--heap-growing-percent=25']]);
    await expect(failing).rejects.toThrow('boom');
    expect(flags.mock.calls).toEqual([['--heap-growing-percent=25'], ['--heap-growing-percent=0']]);
    read = LARGE_INGEST_BYTES;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(flags.mock.calls.at(-1)).toEqual(['--heap-growing-percent=25']);
    release();
    await large;
    expect(flags.mock.calls.at(-1)).toEqual(['--heap-growing-percent=0']);
    expect(flags).toHaveBeenCalledTimes(4);
  });
});
