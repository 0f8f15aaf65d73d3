import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '../../../kernel/services/ingestion';
import { readJsonlChunk, ReadBuffers } from '../../../kernel/services/ingestion/jsonl-chunks';
import { tailFingerprintSync } from '../../../kernel/services/ingestion/source-files';

/**
 * The engine's jsonl reader works on the file's bytes: lines without a needle are never
 * decoded, kept lines come out as one text. Tiny read buffers make every line straddle reads.
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rimuru-jsonl-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function readAll(content: Buffer | string, limits: Partial<IngestLimits>, needles?: string[]): Array<ReturnType<typeof readJsonlChunk>> {
  const file = path.join(dir, 'f.jsonl');
  writeFileSync(file, content);
  const fd = openSync(file, 'r');
  const merged = { ...DEFAULT_INGEST_LIMITS, ...limits };
  const buffers = new ReadBuffers(merged.readBufferBytes);
  try {
    const { size } = fstatSync(fd);
    const chunks = [];
    let offset = 0;
    for (let guard = 0; guard < 100; guard++) {
      const chunk = readJsonlChunk(fd, offset, merged, needles, { size, buffers });
      chunks.push(chunk);
      // The fingerprint taken from the read buffer is the one a re-read computes.
      if (chunk.tail !== undefined) expect(chunk.tail).toEqual(tailFingerprintSync(fd, chunk.nextOffset));
      if (chunk.eof) break;
      offset = chunk.nextOffset;
    }
    return chunks;
  } finally {
    closeSync(fd);
  }
}

describe('readJsonlChunk', () => {
  it('keeps the lines holding a needle, across read boundaries, without their \\r', async () => {
    const lines = ['{"type":"user"}', '{"usage":1}\r', '{"x":"costUSD"}', 'plain', '{"a":"\u00e9","usage":2}', 'partial "usage"'];
    const [chunk] = readAll(lines.join('\n'), { readBufferBytes: 7 }, ['"usage"', 'costUSD']);
    expect(chunk?.text).toBe(['{"usage":1}', '{"x":"costUSD"}', '{"a":"\u00e9","usage":2}'].join('\n'));
    expect(chunk).toMatchObject({ lineCount: 3, linesRead: 5, firstLineOffset: lines[0]!.length + 1, eof: true });
    expect(chunk?.nextOffset).toBe(Buffer.byteLength(lines.slice(0, 5).map((line) => `${line}\n`).join('')));
  });

  it('matches a whole needle only, though it searches for its rarer part: the skipped prefix is checked at each hit', () => {
    const lines = [
      '{"x":"usage"}', // the whole needle
      '{"xusage":1}', // the searched part without its quote
      'usage"usage" "usage"', // a false start, then the needle, on one line
      '{"t":"costusd"}', // the searched part's case differs
      '{"t":"USD costUSD"}', // a false start, then the needle
      '{"t":"cost USD"}',
      '"usage', // cut before the searched part's end
    ];
    const [chunk] = readAll(lines.join('\n'), {}, ['"usage"', 'costUSD']);
    expect(chunk?.text.split('\n')).toEqual(['{"x":"usage"}', 'usage"usage" "usage"', '{"t":"USD costUSD"}']);
    // Needles of punctuation only, or starting with a capital, are searched for as they are.
    const [other] = readAll(['a:{}', 'Xa', 'a{}', 'Xb'].join('\n'), {}, [':{}', 'Xa']);
    expect(other?.text.split('\n')).toEqual(['a:{}', 'Xa']);
  });

  it('keeps every line (empty ones too) without needles, and stops at the chunk bounds', async () => {
    const chunks = readAll('a\n\nb\nc\n', { chunkLines: 2 });
    expect(chunks.map((chunk) => [chunk.text, chunk.lineCount])).toEqual([
      ['a\n', 2],
      ['b\nc', 2],
      ['', 0],
    ]);
  });

  it('scans past a line over the limit unbuffered and keeps reading after it', async () => {
    const huge = `{"usage":"${'x'.repeat(200)}"}`;
    const chunks = readAll(`{"usage":1}\n${huge}\n{"usage":3}\n`, { readBufferBytes: 16, maxLineBytes: 64, chunkBytes: 64, skipScanBytes: 100 }, ['"usage"']);
    expect(chunks.flatMap((chunk) => (chunk.lineCount === 0 ? [] : chunk.text.split('\n')))).toEqual(['{"usage":1}', '{"usage":3}']);
    expect(chunks.reduce((sum, chunk) => sum + chunk.hugeLines, 0)).toBe(1);
  });

  it('keeps garbage as the same text a per-line decode gives', async () => {
    const garbage = Buffer.from([0x22, 0x75, 0x73, 0x61, 0x67, 0x65, 0x22, 0xc3, 0x28, 0xff, 0xe2, 0x82]);
    const [chunk] = readAll(Buffer.concat([garbage, Buffer.from('\n'), garbage, Buffer.from('\n')]), { readBufferBytes: 5 }, ['"usage"']);
    expect(chunk?.text).toBe(`${garbage.toString('utf8')}\n${garbage.toString('utf8')}`);
  });
});
