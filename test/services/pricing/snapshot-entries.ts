/**
 * The embedded snapshot read straight from disk (not through the code under test), so tests
 * take their expected prices from the file itself and build derived price lists from real
 * entries.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const SNAPSHOT_FILE = path.resolve(__dirname, '../../../kernel/services/pricing/data/litellm-prices.json');

export type RawEntry = Record<string, unknown>;

let raw: Record<string, RawEntry> | undefined;

export function rawSnapshot(): Record<string, RawEntry> {
  raw ??= JSON.parse(readFileSync(SNAPSHOT_FILE, 'utf8')) as Record<string, RawEntry>;
  return raw;
}

/** One entry of the snapshot; throws naming the model when the snapshot no longer has it. */
export function rawEntry(model: string): RawEntry {
  const entry = rawSnapshot()[model];
  if (entry === undefined) throw new Error(`the snapshot has no entry "${model}": the test data must be updated with the snapshot`);
  return entry;
}

/** A numeric field of a snapshot entry; throws naming model and field when it is missing. */
export function rawPrice(model: string, field: string): number {
  const value = rawEntry(model)[field];
  if (typeof value !== 'number') throw new Error(`the snapshot entry "${model}" has no number "${field}"`);
  return value;
}

/** The snapshot without some entries, as a price list to parse. */
export function snapshotWithout(predicate: (model: string, entry: RawEntry) => boolean): Record<string, RawEntry> {
  return Object.fromEntries(Object.entries(rawSnapshot()).filter(([model, entry]) => !predicate(model, entry)));
}
