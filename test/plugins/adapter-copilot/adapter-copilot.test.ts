import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentDiscovery, IngestSource, ParseOutput, UsageRecord } from '@rimuru/sdk';
import { writeCopilotFixture, type CopilotFixture } from '../../fixtures/agents/copilot';
import { addUsage, ZERO_TOTALS, type ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { normalisedSnapshotCost } from '../../fixtures/agents/normalised-ledger';
import { expectWarningsMatch, warningCounts } from '../adapter-claude-code/adapter-test-kit';
import { usePluginRuns } from '../plugin-runs';
import { feedJsonlSources, type FeedResult } from '../adapter-claude-code/jsonl-feeder';

const runs = usePluginRuns(path.resolve(__dirname, '../../../plugins/adapter-copilot'));
const { start, scratchDir } = runs;
const SMALL = { sessions: 2, hugeLineBytes: 2048 };

/** A corpus in a data directory of its own, named by COPILOT_HOME, with an OTel export file; and the plugin started over it. */
async function startOverFixture(options: Parameters<typeof writeCopilotFixture>[1] = {}): Promise<{ fixture: CopilotFixture; sources: IngestSource[]; plugin: Awaited<ReturnType<typeof start>>['plugin'] }> {
  const dir = scratchDir();
  const fixture = writeCopilotFixture(dir, { copilotHome: path.join(dir, 'copilot-data'), ...options });
  const { plugin } = await start({ env: fixture.env });
  return { fixture, plugin, sources: await plugin.invoke<IngestSource[]>('sources') };
}

/** Stored records in the fixture's shape, priced by the same independent reference as the generator. */
function summarise(records: readonly UsageRecord[]): { totals: ExpectedUsage; byDay: Record<string, ExpectedUsage>; byModel: Record<string, ExpectedUsage> } {
  const totals: ExpectedUsage = { ...ZERO_TOTALS };
  const byDay: Record<string, ExpectedUsage> = {};
  const byModel: Record<string, ExpectedUsage> = {};
  for (const record of records) {
    const usage = { ...record, costUsd: normalisedSnapshotCost(record.model, record) };
    addUsage(totals, usage);
    addUsage((byDay[record.recordedAt.slice(0, 10)] ??= { ...ZERO_TOTALS }), usage);
    addUsage((byModel[record.model] ??= { ...ZERO_TOTALS }), usage);
  }
  return { totals, byDay, byModel };
}

function expectSameUsage(what: string, actual: Record<string, ExpectedUsage>, expected: Record<string, ExpectedUsage>): void {
  expect({ what, keys: Object.keys(actual).sort() }).toEqual({ what, keys: Object.keys(expected).sort() });
  for (const [key, usage] of Object.entries(expected)) {
    const { costUsd, ...tokens } = actual[key] as ExpectedUsage;
    const { costUsd: expectedCost, ...expectedTokens } = usage;
    expect({ what, key, ...tokens }).toEqual({ what, key, ...expectedTokens });
    expect({ what, key, cost: costUsd.toFixed(2) }).toEqual({ what, key, cost: expectedCost.toFixed(2) });
  }
}

function expectMatchesFixture(feed: FeedResult, fixture: CopilotFixture): void {
  const summary = summarise(feed.records);
  expectSameUsage('totals', { all: summary.totals }, { all: fixture.totals });
  expectSameUsage('by day', summary.byDay, fixture.byDay);
  expectSameUsage('by model', summary.byModel, fixture.byModel);
  expect([...new Set(feed.records.map((record) => record.sessionId))].sort()).toEqual(fixture.sessions);
}

const byKey = (records: readonly UsageRecord[]): Record<string, UsageRecord> => Object.fromEntries(records.map((record) => [record.dedupKey, record]));

describe('adapter-copilot: discovery', () => {
  it('finds ~/.copilot by default, with the newest release in its update cache as the version', async () => {
    const { plugin, tmpDir } = await start();
    writeCopilotFixture(tmpDir, { ...SMALL, otelExportFile: false });
    for (const release of ['0.0.339', '1.0.61', '1.0.9']) mkdirSync(path.join(tmpDir, '.copilot', 'pkg', 'linux-x64', release), { recursive: true });
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: true, version: '1.0.61', paths: [path.join(tmpDir, '.copilot')] });
  });

  it('without an update cache, takes the version from the newest session.start', async () => {
    const { plugin, tmpDir } = await start();
    const session = path.join(tmpDir, '.copilot', 'session-state', 'one');
    mkdirSync(session, { recursive: true });
    writeFileSync(path.join(session, 'events.jsonl'), `${JSON.stringify({ type: 'session.start', data: { sessionId: 'one', copilotVersion: '0.0.421' }, id: 'e1', timestamp: '2026-10-01T08:00:00.000Z', parentId: null })}\n`);
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: true, version: '0.0.421', paths: [path.join(tmpDir, '.copilot')] });
  });

  it('reports not installed when no data directory exists', async () => {
    const { plugin } = await start();
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [] });
  });

  it('uses only COPILOT_HOME when it is set', async () => {
    const dir = scratchDir();
    writeCopilotFixture(dir, { ...SMALL, copilotHome: path.join(dir, 'relocated'), otelExportFile: false });
    const { plugin, tmpDir } = await start({ env: { HOME: dir, COPILOT_HOME: path.join(dir, 'relocated') } });
    writeCopilotFixture(tmpDir, { ...SMALL, otelExportFile: false });
    const discovery = await plugin.invoke<AgentDiscovery>('discover');
    expect(discovery.paths).toEqual([path.join(dir, 'relocated')]);
    const sources = await plugin.invoke<IngestSource[]>('sources');
    expect(sources.every((source) => source.path.startsWith(path.join(dir, 'relocated') + path.sep))).toBe(true);
  });

  it('reads $XDG_CONFIG_HOME/.copilot (older releases) beside ~/.copilot when COPILOT_HOME is unset', async () => {
    const dir = scratchDir();
    writeCopilotFixture(dir, { ...SMALL, copilotHome: path.join(dir, 'xdg', '.copilot'), otelExportFile: false });
    const { plugin, tmpDir } = await start({ env: { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg') } });
    writeCopilotFixture(tmpDir, { ...SMALL, seed: 3, otelExportFile: false });
    expect((await plugin.invoke<AgentDiscovery>('discover')).paths).toEqual([path.join(dir, 'xdg', '.copilot'), path.join(tmpDir, '.copilot')]);
  });

  it('takes agents.copilot.paths from its config over the environment (a data directory or its session-state/)', async () => {
    const dir = scratchDir();
    // Only the configured path is granted, as the kernel grants it.
    writeCopilotFixture(dir, { ...SMALL, copilotHome: path.join(dir, 'configured'), otelExportFile: false });
    for (const entry of [path.join(dir, 'configured'), path.join(dir, 'configured', 'session-state')]) {
      const { plugin } = await start({ config: { paths: [entry] }, env: { COPILOT_HOME: path.join(dir, 'elsewhere') }, permissions: { 'fs.read': [entry], env: ['COPILOT_HOME', 'COPILOT_OTEL_FILE_EXPORTER_PATH'] } });
      expect({ entry, paths: (await plugin.invoke<AgentDiscovery>('discover')).paths }).toEqual({ entry, paths: [entry] });
      // Every session's events file; the otel/ export only when the data directory itself is named.
      const sessionFiles = SMALL.sessions + 7;
      expect({ entry, sources: (await plugin.invoke<IngestSource[]>('sources')).length }).toEqual({ entry, sources: entry.endsWith('session-state') ? sessionFiles : sessionFiles + 1 });
    }
  });
});

describe('adapter-copilot: permissions', () => {
  it('is refused a configured directory outside its permissions and reports it instead of failing', async () => {
    const dir = scratchDir();
    writeCopilotFixture(dir, { ...SMALL, copilotHome: path.join(dir, 'not-granted'), otelExportFile: false });
    const { plugin, logs } = await start({ config: { paths: [path.join(dir, 'not-granted')] } });
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [] });
    expect(await plugin.invoke<IngestSource[]>('sources')).toEqual([]);
    const refusal = logs.find((log) => log.msg === 'cannot read a Copilot CLI path');
    expect(JSON.stringify(refusal)).toMatch(/outside every directory the plugin may read/);
  });
});

describe('adapter-copilot: sources', () => {
  it('lists every session events file, the otel/ exports and the COPILOT_OTEL_FILE_EXPORTER_PATH file, each with its pre-filter', async () => {
    const { fixture, sources } = await startOverFixture();
    const stateDir = path.join(fixture.copilotHome, 'session-state');
    const events = sources.filter((source) => source.path.startsWith(stateDir + path.sep));
    const others = sources.filter((source) => !source.path.startsWith(stateDir + path.sep));
    expect(events.length).toBe(fixture.sessions.length - fixture.notable.otelOnly.length + 1); // + the open session
    expect(events.every((source) => source.kind === 'jsonl' && source.path.endsWith('/events.jsonl') && source.lineContains?.[0] === '"session.' && source.conflict === 'ignore')).toBe(true);
    expect(others.map((source) => source.path).sort()).toEqual([path.join(fixture.copilotHome, 'otel', 'copilot-otel-20261001-080000.jsonl'), fixture.env.COPILOT_OTEL_FILE_EXPORTER_PATH].sort());
    expect(others.every((source) => source.kind === 'jsonl' && source.lineContains?.[0] === '"gen_ai.' && source.id === source.path)).toBe(true);
  });
});

describe('adapter-copilot: parse', () => {
  it('adds up to the generated corpus: tokens exactly and costs to the cent, by day and by model', async () => {
    const { fixture, plugin, sources } = await startOverFixture();
    const feed = await feedJsonlSources(plugin, sources);
    expectMatchesFixture(feed, fixture);
    expect(fixture.unknownModels).toEqual(['copilot-swe-preview']);
  });

  it('counts every corrupt line, unknown event type, missing field and over-long line as a warning, and fails on none', async () => {
    const { fixture, plugin, sources } = await startOverFixture({ hugeLineBytes: 9 * 1024 * 1024 });
    expectWarningsMatch(await feedJsonlSources(plugin, sources), fixture);
  });

  it('gives the same records whatever the chunk size (the shutdown baseline is carried in state)', async () => {
    const { plugin, sources } = await startOverFixture();
    const whole = byKey((await feedJsonlSources(plugin, sources, { chunkLines: 100_000 })).records);
    for (const chunkLines of [1, 7]) {
      expect({ chunkLines, records: byKey((await feedJsonlSources(plugin, sources, { chunkLines })).records) }).toEqual({ chunkLines, records: whole });
    }
  });

  it('re-reading a source from the start (a replaced or truncated file) yields the same keys: nothing is counted twice', async () => {
    const { plugin, sources } = await startOverFixture();
    const once = await feedJsonlSources(plugin, sources);
    const twice = await feedJsonlSources(plugin, [...sources, ...sources]);
    expect(twice.returned).toBe(2 * once.returned);
    expect(byKey(twice.records)).toEqual(byKey(once.records));
  });

  it('records each leg of a resumed session on its own day, and a restarted counter as it is', async () => {
    const { fixture, plugin, sources } = await startOverFixture();
    const records = (await feedJsonlSources(plugin, sources)).records;
    const resumed = records.filter((record) => record.sessionId === fixture.notable.resumed);
    expect(new Set(resumed.map((record) => record.recordedAt.slice(0, 10))).size).toBe(3);
    expect(resumed.filter((record) => record.model === 'gpt-5-mini')).toHaveLength(2);
    const restarted = records.filter((record) => record.sessionId === fixture.notable.restarted).sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
    expect(restarted).toHaveLength(2);
    expect(restarted[1]!.cacheReadTokens).toBe(Math.floor(restarted[0]!.cacheReadTokens / 4));
  });

  it('reports sessions with their working directory, start and end; an open session has no usage and no end', async () => {
    const { fixture, plugin, sources } = await startOverFixture();
    const feed = await feedJsonlSources(plugin, sources);
    const { notable } = fixture;
    const open = feed.sessions.get(notable.open);
    expect(open).toMatchObject({ sessionId: notable.open, projectPath: fixture.projectPaths[notable.open] });
    expect(open?.startedAt).toBeDefined();
    expect(open?.endedAt).toBeUndefined();
    expect(feed.records.some((record) => record.sessionId === notable.open)).toBe(false);
    expect(feed.sessions.get(notable.cwdFromWorkspace)?.projectPath).toBe('/home/dev/work/legacy-tool');
    expect(feed.sessions.get(notable.withoutStart)?.sessionId).toBe(notable.withoutStart);
    for (const [sessionId, cwd] of Object.entries(fixture.projectPaths)) {
      expect({ sessionId, projectPath: feed.sessions.get(sessionId)?.projectPath }).toEqual({ sessionId, projectPath: cwd });
    }
    expect(feed.sessions.get(notable.resumed)?.endedAt).toBeDefined();
  });

  it('counts OTel chat spans only for sessions without session-state, resolving a session named on the parent span', async () => {
    const { fixture, plugin, sources } = await startOverFixture();
    const records = (await feedJsonlSources(plugin, sources)).records;
    const fromOtel = records.filter((record) => record.dedupKey.startsWith('copilot:otel:'));
    expect([...new Set(fromOtel.map((record) => record.sessionId))].sort()).toEqual([...fixture.notable.otelOnly].sort());
    expect(records.filter((record) => record.sessionId === fixture.notable.otelCovered).every((record) => !record.dedupKey.startsWith('copilot:otel:'))).toBe(true);
  });

  it('waits for a later chunk when a chat span\'s session is named on a span written after it', async () => {
    const { plugin, tmpDir } = await start();
    const file = path.join(tmpDir, '.copilot', 'otel', 'split.jsonl');
    mkdirSync(path.dirname(file), { recursive: true });
    const chat = { type: 'span', traceId: 't1', spanId: 's1', name: 'chat gpt-5-mini', endTime: [1790000000, 0], attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.response.model': 'gpt-5-mini', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 7 } };
    const parent = { type: 'span', traceId: 't1', spanId: 's0', name: 'invoke_agent copilot', endTime: [1790000001, 0], attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': 'conv-1', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 7 } };
    writeFileSync(file, `${JSON.stringify(chat)}\n${JSON.stringify(parent)}\n`);
    const source: IngestSource = { id: file, kind: 'jsonl', path: file };
    const [first, second] = readFileSync(file, 'utf8').trim().split('\n');
    const waiting = await plugin.invoke<ParseOutput>('parse', { source, lines: [first] });
    expect({ records: waiting.records, warnings: waiting.warnings }).toEqual({ records: [], warnings: [] });
    const resolved = await plugin.invoke<ParseOutput>('parse', { source, lines: [second], state: waiting.state });
    expect(resolved.records).toEqual([
      { dedupKey: 'copilot:otel:t1:s1', sessionId: 'conv-1', model: 'gpt-5-mini', inputTokens: 100, outputTokens: 7, cacheWriteTokens: 0, cacheReadTokens: 0, reasoningTokens: 0, recordedAt: new Date(1_790_000_000_000).toISOString() },
    ]);
  });

  it('turns a shutdown into uncached input (inputTokens − cache reads − cache writes), keeps the model as logged and never reads requests.cost', async () => {
    const { plugin } = await start();
    const source: IngestSource = { id: '/x/session-state/s-1/events.jsonl', kind: 'jsonl', path: '/x/session-state/s-1/events.jsonl' };
    const shutdown = {
      type: 'session.shutdown',
      id: 'ev-9',
      timestamp: '2026-03-07T15:30:00.000Z',
      parentId: null,
      data: { shutdownType: 'routine', totalPremiumRequests: 24, modelMetrics: { 'claude-sonnet-4.5': { requests: { count: 53, cost: 24 }, usage: { inputTokens: 1627935, outputTokens: 16655, cacheReadTokens: 1424086, cacheWriteTokens: 1200 } } } },
    };
    const output = await plugin.invoke<ParseOutput>('parse', { source, lines: [JSON.stringify(shutdown)] });
    expect(output.records).toEqual([
      { dedupKey: 'copilot:s-1:ev-9:claude-sonnet-4.5', sessionId: 's-1', model: 'claude-sonnet-4.5', inputTokens: 202649, outputTokens: 16655, cacheWriteTokens: 1200, cacheReadTokens: 1424086, reasoningTokens: 0, recordedAt: '2026-03-07T15:30:00.000Z' },
    ]);
    expect(output.records[0]).not.toHaveProperty('costUsd');
    expect(warningCounts(output.warnings)).toEqual({});
  });
});
