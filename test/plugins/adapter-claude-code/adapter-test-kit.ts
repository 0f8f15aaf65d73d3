/**
 * What the Claude Code and Codex adapter tests share beyond `usePluginRuns`: the transcripts a
 * corpus wrote, and the comparison of fed records with what a fixture generator says they must
 * add up to (the same table check the end-to-end tests apply to the store).
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentFixture } from '../../fixtures/agents/expected-usage';
import { expectTable } from '../booted-kernel';
import { summarise, type FeedResult } from './jsonl-feeder';

/** Every `.jsonl` file under `dir`, sorted. */
export function jsonlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.jsonl'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** The fed records add up to the fixture: totals, by UTC day, by model, and the same sessions. */
export function expectMatchesFixture(feed: FeedResult, fixture: AgentFixture, fastMultiplier?: (model: string) => number): void {
  const summary = summarise(feed.records, fastMultiplier);
  expectTable('totals', { all: summary.totals }, { all: fixture.totals });
  expectTable('by day', summary.byDay, fixture.byDay);
  expectTable('by model', summary.byModel, fixture.byModel);
  expect([...new Set(feed.records.map((record) => record.sessionId))].sort()).toEqual(fixture.sessions);
}

/** The warnings `parse` returned and the lines over the limit, as a fixture's `skipped` counts them. */
export function expectWarningsMatch(feed: FeedResult, fixture: AgentFixture): void {
  expect({ ...feed.warnings, huge: feed.hugeLines }).toEqual({
    corrupt: fixture.skipped.corrupt,
    'missing-field': fixture.skipped.missingField,
    'unknown-type': fixture.skipped.unknownType,
    other: 0,
    huge: fixture.skipped.hugeLines,
  });
}

/** How many warnings of each kind a parse output carries (kinds that occur only). */
export function warningCounts(warnings: ReadonlyArray<{ kind: string }> | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const warning of warnings ?? []) counts[warning.kind] = (counts[warning.kind] ?? 0) + 1;
  return counts;
}
