import type { Database } from '../../services/storage';
import type { ScannedRecord } from './usage-record-scan';

/** What the reports need from the pricing catalog. */
export interface ReportPricer {
  /** The record's cost from its tokens at catalog prices; null when the catalog does not know its model. */
  calculate(record: ScannedRecord): number | null;
  /** Whether the catalog has prices for `model` (as the agent logged it). */
  knows(model: string, provider?: string | null): boolean;
}

/**
 * The catalog the reports price with, or null while none is available.
 */
export async function loadReportPricer(_database: Database): Promise<ReportPricer | null> {
  return null;
}
