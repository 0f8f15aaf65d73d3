import { roundUsd } from '../../services/storage/aggregators/usage-totals';
import type { Database } from '../../services/storage';
import type { CostMode } from '../../services/pricing';
import type { ReportScope } from './report-options';
import type { ReportPricer } from './report-pricing';
import { unknownModelWarning, type ReportWarning } from './report-warnings';
import { scanUsageRecords, type ScannedRecord } from './usage-record-scan';

interface ReportedSums {
  /** What the agents reported for the group's records. */
  reported: number;
  /** What the catalog prices those same records at (`calculate` only). */
  repriced: number;
}

/**
 * The cost of a group of records in the report's cost mode. The store holds each record's cost
 * as `auto` priced it at ingest: the agent's own figure where it reported one, else the
 * catalog's. So only the records with a reported cost differ between modes, and only those are
 * read one by one: `display` is their reported sum ($0 for the rest), `calculate` swaps their
 * reported sum for the catalog's price of their tokens.
 */
export class ModeCosts {
  constructor(
    readonly mode: CostMode,
    private readonly sums: ReadonlyMap<string, ReportedSums>,
  ) {}

  /** The group's cost in this mode, given what it costs as stored. */
  cost(key: string, stored: number): number {
    if (this.mode === 'auto') return stored;
    const sums = this.sums.get(key);
    if (this.mode === 'display') return roundUsd(sums?.reported ?? 0);
    return sums === undefined ? stored : roundUsd(stored - sums.reported + sums.repriced);
  }

  /** A record's own cost in this mode (for reports that walk records anyway). */
  static recordCost(mode: CostMode, record: ScannedRecord, pricer: ReportPricer): number {
    if (record.costSource === 'calculated') return mode === 'display' ? 0 : record.costUsd;
    if (mode === 'calculate') return pricer.calculate(record) ?? 0;
    return record.costUsd;
  }
}

/**
 * Reads the records with a reported cost in the report's scope and sums them per group
 * (`keysOf` names the groups a record counts in, e.g. its day and its day+agent).
 */
export async function loadModeCosts(
  database: Database,
  scope: ReportScope,
  pricer: ReportPricer,
  keysOf: (record: ScannedRecord) => string[],
  warnings: ReportWarning[],
): Promise<ModeCosts> {
  if (scope.mode === 'auto') return new ModeCosts('auto', new Map());
  const sums = new Map<string, ReportedSums>();
  const unknown = new Set<string>();
  await scanUsageRecords(database, { from: scope.from, to: scope.to, agents: scope.agents, projectPath: scope.projectPath, costSource: 'reported' }, (records) => {
    for (const record of records) {
      let repriced = record.costUsd;
      if (scope.mode === 'calculate') {
        const calculated = pricer.calculate(record);
        if (calculated === null) unknown.add(record.model);
        repriced = calculated ?? 0;
      }
      for (const key of keysOf(record)) {
        const into = sums.get(key) ?? { reported: 0, repriced: 0 };
        into.reported += record.costUsd;
        into.repriced += repriced;
        sums.set(key, into);
      }
    }
  });
  for (const model of [...unknown].sort()) warnings.push(unknownModelWarning(model));
  return new ModeCosts(scope.mode, sums);
}
