import { setFlagsFromString } from 'node:v8';

/**
 * How much V8 may grow a heap after a collection while an ingest reads: 25% instead of V8's own
 * factor (up to 4× on a small heap). An ingest allocates and drops gigabytes of log text; with
 * V8's factor ~300 MB of it was garbage waiting at the peak (cold 1 GB ingest: 724 MB peak RSS,
 * 435 MB with 25%). Set only while an ingest has something to read: for the whole process (a bin
 * flag) it also cost every short command ~120 ms of extra collections (warm report 0.53 → 0.65 s).
 * The flag is process-wide (the plugins' isolates follow it too) and read by V8 at each
 * collection, so setting it at run time takes effect at the next one; 0 is V8's default (its
 * own factor). It never fails an allocation, unlike `--max-old-space-size`.
 */
const INGEST_HEAP_GROWING_PERCENT = 25;

let holders = 0;

/** Runs `work` with the ingest's heap growth; nested and overlapping holders share it. */
export async function withTightHeapGrowth<T>(work: () => Promise<T>): Promise<T> {
  if (holders++ === 0) setFlagsFromString(`--heap-growing-percent=${INGEST_HEAP_GROWING_PERCENT}`);
  try {
    return await work();
  } finally {
    if (--holders === 0) setFlagsFromString('--heap-growing-percent=0');
  }
}
