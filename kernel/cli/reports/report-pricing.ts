import type { Logger } from 'pino';
import { calculateCost, PricingService } from '../../services/pricing';
import type { Database } from '../../services/storage';
import type { ScannedRecord } from './usage-record-scan';

/** What the reports need from the cost engine. */
export interface ReportPricer {
  /** The record's cost from its tokens at catalog prices; null when the catalog does not know its model. */
  calculate(record: ScannedRecord): number | null;
  /** Whether the catalog has prices for `model` (as the agent logged it). */
  knows(model: string, provider?: string | null): boolean;
  /** When the embedded price snapshot was taken (`YYYY-MM`). */
  snapshotDate: string;
}

/**
 * The catalog the store's records were priced with at ingest: the embedded snapshot layered
 * with the models synced into the store. Read-only (a report never seeds the `models` table).
 */
export async function loadReportPricer(database: Database, logger?: Logger): Promise<ReportPricer> {
  const service = await PricingService.open(database, { seed: false, logger });
  return {
    calculate: (record) => {
      const prices = service.lookup(record.model, record.provider);
      return prices === null ? null : calculateCost(record, prices);
    },
    knows: (model, provider) => service.lookup(model, provider) !== null,
    snapshotDate: service.snapshotDate,
  };
}
