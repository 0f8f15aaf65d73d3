/**
 * What the Claude Code and Codex adapter tests share: a plugin run per test (disposed after
 * it) with a scratch dir of the test's own, and the comparison of fed records with what a
 * fixture generator says they must add up to.
 */
import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runPlugin, type PluginRun, type RunPluginOptions } from '@rimuru/sdk/testing';
import type { AgentFixture, ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { summarise, type FeedResult } from './jsonl-feeder';

export interface PluginRuns {
  /** Starts the plugin (the run is disposed after the test). */
  start(options?: Omit<RunPluginOptions, 'pluginDir'>): Promise<PluginRun>;
  /** The running plugin of the current test. */
  current(): PluginRun;
  /** A temp dir of the test's own, for data the run's environment must name before the run exists. */
  scratchDir(): string;
}

/** Registers the `afterEach` that disposes the runs and scratch dirs of `pluginDir`'s tests. */
export function pluginRuns(pluginDir: string): PluginRuns {
  let runs: PluginRun[] = [];
  let scratch: string | undefined;
  afterEach(async () => {
    for (const run of runs) await run.dispose();
    runs = [];
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });
  return {
    async start(options = {}) {
      const run = await runPlugin({ pluginDir, ...options });
      runs.push(run);
      return run;
    },
    current() {
      const run = runs[runs.length - 1];
      if (!run) throw new Error('no plugin run was started in this test');
      return run;
    },
    scratchDir() {
      scratch ??= realpathSync(mkdtempSync(path.join(tmpdir(), 'rimuru-adapter-test-')));
      return scratch;
    },
  };
}

/** Every `.jsonl` file under `dir`, sorted. */
export function jsonlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.jsonl'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

function tokensOf(usage: ExpectedUsage): Omit<ExpectedUsage, 'costUsd'> {
  const { costUsd: _cost, ...tokens } = usage;
  return tokens;
}

/** Tokens exactly and cost to the cent, for every key of the expected breakdown and no other. */
function expectSameUsage(what: string, actual: Record<string, ExpectedUsage>, expected: Record<string, ExpectedUsage>): void {
  expect({ what, keys: Object.keys(actual).sort() }).toEqual({ what, keys: Object.keys(expected).sort() });
  for (const [key, usage] of Object.entries(expected)) {
    const found = actual[key] as ExpectedUsage;
    expect({ what, key, ...tokensOf(found) }).toEqual({ what, key, ...tokensOf(usage) });
    expect({ what, key, costUsd: found.costUsd, withinACent: Math.abs(found.costUsd - usage.costUsd) < 0.005 }).toEqual({ what, key, costUsd: expect.any(Number), withinACent: true });
  }
}

/** The fed records add up to the fixture: totals, by UTC day, by model, and the same sessions. */
export function expectMatchesFixture(feed: FeedResult, fixture: AgentFixture, fastMultiplier?: (model: string) => number): void {
  const summary = summarise(feed.records, fastMultiplier);
  expectSameUsage('totals', { all: summary.totals }, { all: fixture.totals });
  expectSameUsage('by day', summary.byDay, fixture.byDay);
  expectSameUsage('by model', summary.byModel, fixture.byModel);
  expect([...new Set(feed.records.map((record) => record.sessionId))].sort()).toEqual(fixture.sessions);
}

/** The warnings `parse` returned, by kind, as a fixture's `skipped` counts them. */
export function expectWarningsMatch(feed: FeedResult, fixture: AgentFixture): void {
  expect({ ...feed.warnings, huge: feed.hugeLines }).toEqual({
    corrupt: fixture.skipped.corrupt,
    'missing-field': fixture.skipped.missingField,
    'unknown-type': fixture.skipped.unknownType,
    other: 0,
    huge: fixture.skipped.hugeLines,
  });
}

/** How many warnings of each kind a parse output carries. */
export function warningCounts(warnings: ReadonlyArray<{ kind: string }> | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const warning of warnings ?? []) counts[warning.kind] = (counts[warning.kind] ?? 0) + 1;
  return counts;
}
