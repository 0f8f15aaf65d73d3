import { setFlagsFromString } from 'node:v8';

/**
 * How much V8 may grow a heap after a collection once an ingest has read a lot: 25% instead of
 * V8's own factor (up to 4× on a small heap). An ingest allocates and drops gigabytes of log
 * text; with V8's factor ~300 MB of it was garbage waiting at the peak (cold 1 GB ingest: 724
 * MB peak RSS, 435 MB with 25%). Not from the start, and not for every process (it was a bin
 * flag): on a short command or a small ingest it only adds collections (a warm report spent
 * ~120 ms more in them, an ingest of 10 MB appended to 2,000 transcripts ~100 ms), and their
 * peaks are a fraction of a large one's.
 *
 * The flag is process-wide (the plugins' isolates follow it too) and read by V8 at each
 * collection, so setting it at run time takes effect at the next one; 0 is V8's default (its
 * own factor). It never fails an allocation, unlike `--max-old-space-size`.
 */
const TIGHT_HEAP_GROWING_PERCENT = 25;
/** What an ingest reads before the heap's growth is tightened. */
export const LARGE_INGEST_BYTES = 64 * 1024 * 1024;
const CHECK_EVERY_MS = 100;

let tightened = 0;

/**
 * Runs `work`, tightening heap growth from the moment `bytesRead()` reaches
 * {@link LARGE_INGEST_BYTES} until it ends; overlapping runs share the setting.
 */
export async function withHeapGrowthForIngest<T>(bytesRead: () => number, work: () => Promise<T>): Promise<T> {
  let tight = false;
  const tighten = (): void => {
    if (tight || bytesRead() < LARGE_INGEST_BYTES) return;
    tight = true;
    if (tightened++ === 0) setFlagsFromString(`--heap-growing-percent=${TIGHT_HEAP_GROWING_PERCENT}`);
  };
  const timer = setInterval(tighten, CHECK_EVERY_MS);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
    if (tight && --tightened === 0) setFlagsFromString('--heap-growing-percent=0');
  }
}
