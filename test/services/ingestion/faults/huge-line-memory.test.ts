import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { IngestWorld } from '../ingest-harness';
import { usageLine, type UsageEvent } from '../fixtures/test-agent-corpus';
import { doneLine, startIngestChild, useChildWorlds } from './ingest-child-process';

/**
 * A 200 MB single line (Claude's file-history-snapshot can be that big) is skipped without
 * being buffered. Measured as memory, not time: the same ingest runs in a child process over
 * a file with the 200 MB line and over the same file with a short line instead, and the peak
 * RSS of the first may exceed the second's by far less than the line's size.
 */

const MiB = 1024 * 1024;
const HUGE_BYTES = 200 * MiB;
// Reading in 1 MB buffers with lines kept up to 8 MB: tens of MB of slack, never the line.
const ALLOWED_GROWTH_BYTES = 48 * MiB;

const children = useChildWorlds();

const event = (key: string): UsageEvent => ({ t: 'usage', key, session: 's', model: 'model-a', in: 10, out: 5, cw: 0, cw1h: 0, cr: 0, rs: 0, at: '2026-03-01T00:00:00.000Z' });

/** A log with a record, a line of `middleBytes` that passes the `"t":` pre-filter, and another record. */
async function worldWithMiddleLine(middleBytes: number): Promise<{ world: IngestWorld; file: string }> {
  const world = await children.world();
  const file = path.join(world.agentHome, 'projects', 'big.jsonl');
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, usageLine(event('before')));
    writeSync(fd, '{"t":"snapshot","pad":"');
    const block = Buffer.alloc(MiB, 0x61);
    let left = middleBytes;
    while (left > 0) {
      const n = Math.min(left, block.length);
      writeSync(fd, block, 0, n);
      left -= n;
    }
    writeSync(fd, '"}\n');
    writeSync(fd, usageLine(event('after')));
  } finally {
    closeSync(fd);
  }
  return { world, file };
}

async function ingestInChild(world: IngestWorld): Promise<ReturnType<typeof doneLine>> {
  const exit = await startIngestChild(children.bundle(), world).exited;
  if (exit.code !== 0) throw new Error(`the ingest child failed (${String(exit.code ?? exit.signal)}): ${exit.stderr.slice(-2000)}`);
  return doneLine(exit.stdout);
}

it('skips a 200 MB line unbuffered: both records around it stored, one huge-line warning, peak RSS within 48 MB of a run without it', async () => {
  const huge = await worldWithMiddleLine(HUGE_BYTES);
  const small = await worldWithMiddleLine(1024);

  const withHuge = await ingestInChild(huge.world);
  const baseline = await ingestInChild(small.world);

  expect(withHuge.summary.errors).toEqual([]);
  expect(withHuge.summary.records.inserted).toBe(2);
  expect(withHuge.summary.warnings).toEqual([expect.objectContaining({ path: huge.file, counts: { 'huge-line': 1 } })]);
  expect(withHuge.summary.bytesRead).toBeGreaterThan(HUGE_BYTES);
  const growth = (withHuge.maxRssKb - baseline.maxRssKb) * 1024;
  process.stdout.write(`peak RSS: ${Math.round(withHuge.maxRssKb / 1024)} MB with the 200 MB line, ${Math.round(baseline.maxRssKb / 1024)} MB without\n`);
  expect(growth).toBeLessThan(ALLOWED_GROWTH_BYTES);
}, 120_000);
