/**
 * Timing and statistics for the benchmarks: monotonic nanosecond clocks, nearest-rank
 * percentiles, and a summary shape every suite reports in.
 */

/** A distribution of samples in one unit (ms, µs or events/s). */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** Nanoseconds since an arbitrary origin; only differences mean anything. */
export function now(): bigint {
  return process.hrtime.bigint();
}

export function elapsedMs(start: bigint, end: bigint = now()): number {
  return Number(end - start) / 1e6;
}

export function elapsedUs(start: bigint, end: bigint = now()): number {
  return Number(end - start) / 1e3;
}

/** Nearest-rank percentile of an ascending array (`q` in 0..1). */
function percentile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('cannot summarize zero samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    n: sorted.length,
    median: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    mean: total / sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/** Times `iterations` sequential runs of `work`, one sample per run, in the unit `toUnit` converts to. */
export async function sampleEach(iterations: number, work: (i: number) => Promise<unknown>, toUnit: (start: bigint, end: bigint) => number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = now();
    await work(i);
    samples.push(toUnit(start, now()));
  }
  return samples;
}

/** Runs `work` `times` times without recording anything, so JIT and caches are warm before sampling. */
export async function warmUp(times: number, work: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < times; i += 1) await work(i);
}

/**
 * Summary of rates (events/s), where a high number is good: `p95` is the slow tail, the rate
 * that 95% of the samples reached or beat (the 5th percentile).
 */
export function summarizeRate(samples: readonly number[]): Summary {
  const summary = summarize(samples);
  const sorted = [...samples].sort((a, b) => a - b);
  return { ...summary, p95: sorted[Math.max(0, Math.ceil(0.05 * sorted.length) - 1)] };
}

/**
 * Samples two contenders in alternating blocks (ours, baseline, ours, …) so that a change in
 * the machine's load during the run falls on both instead of skewing the ratio.
 */
export async function alternateBlocks(
  rounds: number,
  perRound: number,
  ours: (i: number) => Promise<unknown>,
  baseline: (i: number) => Promise<unknown>,
  toUnit: (start: bigint, end: bigint) => number,
): Promise<{ ours: number[]; baseline: number[] }> {
  const result = { ours: [] as number[], baseline: [] as number[] };
  for (let round = 0; round < rounds; round += 1) {
    result.ours.push(...(await sampleEach(perRound, ours, toUnit)));
    result.baseline.push(...(await sampleEach(perRound, baseline, toUnit)));
  }
  return result;
}

export interface HeadToHeadOptions {
  warmup: number;
  rounds: number;
  perRound: number;
  ours(i: number): Promise<unknown>;
  baseline(i: number): Promise<unknown>;
  toUnit(start: bigint, end: bigint): number;
}

/** Warms both contenders up, samples them in alternating blocks, and summarizes each. */
export async function headToHead(options: HeadToHeadOptions): Promise<{ ours: Summary; baseline: Summary }> {
  await warmUp(options.warmup, options.ours);
  await warmUp(options.warmup, options.baseline);
  const samples = await alternateBlocks(options.rounds, options.perRound, options.ours, options.baseline, options.toUnit);
  return { ours: summarize(samples.ours), baseline: summarize(samples.baseline) };
}
