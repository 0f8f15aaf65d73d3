import type { Summary } from './measure';

export type BenchUnit = 'ms' | 'µs' | 'events/s' | 'MB';

/**
 * One measurement of ours next to its baseline, both taken in the same run.
 *
 * `ratio` is our cost over the baseline's cost at the median: for times ours / baseline, for
 * rates baseline / ours. Above 1 means slower than the baseline, whatever the unit.
 * For rates, `p95` is the slow tail too: 95% of the batches ran at least that fast.
 */
export interface Comparison {
  id: string;
  label: string;
  unit: BenchUnit;
  ours: Summary;
  baselineLabel: string;
  baseline: Summary;
  ratio: number;
  note?: string;
}

/** A single figure with no baseline of its own (a breakdown or a derived number). */
export interface Figure {
  id: string;
  label: string;
  unit: BenchUnit;
  value: number;
}

export interface SuiteResult {
  suite: string;
  title: string;
  comparisons: Comparison[];
  figures: Figure[];
  durationMs: number;
}

export function isRate(unit: BenchUnit): boolean {
  return unit === 'events/s';
}

export function compare(
  fields: Omit<Comparison, 'ratio'>,
): Comparison {
  const ratio = isRate(fields.unit) ? fields.baseline.median / fields.ours.median : fields.ours.median / fields.baseline.median;
  return { ...fields, ratio };
}
