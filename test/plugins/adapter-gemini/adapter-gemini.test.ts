import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentDiscovery, IngestSource, ParseOutput, UsageRecord } from '@rimuru/sdk';
import type { TestPluginHandle } from '@rimuru/sdk/testing';
import { writeGeminiFixture, type GeminiFixture } from '../../fixtures/agents/gemini';
import { expectMatchesFixture, expectWarningsMatch, warningCounts } from '../adapter-claude-code/adapter-test-kit';
import { usePluginRuns } from '../plugin-runs';
import { feedJsonlSources, type FeedOptions, type FeedResult } from '../adapter-claude-code/jsonl-feeder';
import { keepRecords, readSource } from '../adapter-reading';

const runs = usePluginRuns(path.resolve(__dirname, '../../../plugins/adapter-gemini'));
const { start, scratchDir } = runs;
const SMALL = { sessions: 1, hugeLineBytes: 2048 };

/** JSONL recordings fed line by line, legacy JSON recordings whole, all stored under their conflict rules. */
async function readAll(plugin: TestPluginHandle, sources: readonly IngestSource[], options?: FeedOptions): Promise<FeedResult> {
  const feed = await feedJsonlSources(plugin, sources.filter((source) => source.kind === 'jsonl'), options);
  const kept = new Map(feed.records.map((record) => [record.dedupKey, record]));
  for (const source of sources.filter((candidate) => candidate.kind === 'json')) {
    for (const output of await readSource(plugin, source)) {
      feed.returned += output.records.length;
      keepRecords(kept, output.records, source.conflict);
      for (const session of output.sessions) if (!feed.sessions.has(session.sessionId)) feed.sessions.set(session.sessionId, session);
      for (const warning of output.warnings ?? []) feed.warnings[warning.kind] += 1;
    }
  }
  feed.records = [...kept.values()];
  return feed;
}

async function startOverFixture(options: Parameters<typeof writeGeminiFixture>[1] = {}): Promise<{ fixture: GeminiFixture; plugin: TestPluginHandle; sources: IngestSource[] }> {
  const { plugin, tmpDir } = await start();
  const fixture = writeGeminiFixture(tmpDir, options);
  return { fixture, plugin, sources: await plugin.invoke<IngestSource[]>('sources') };
}

const byKey = (records: readonly UsageRecord[]): Record<string, UsageRecord> => Object.fromEntries(records.map((record) => [record.dedupKey, record]));
const line = (value: unknown): string => JSON.stringify(value);
const SOURCE: IngestSource = { id: '/h/.gemini/tmp/p/chats/session-x.jsonl', kind: 'jsonl', path: '/h/.gemini/tmp/p/chats/session-x.jsonl' };
const HEADER = line({ sessionId: 'sess-1', projectHash: 'abc', startTime: '2026-10-01T10:00:00.000Z', lastUpdated: '2026-10-01T10:00:00.000Z', kind: 'main' });

describe('adapter-gemini: discovery', () => {
  it('finds ~/.gemini by default', async () => {
    const { plugin, tmpDir } = await start();
    writeGeminiFixture(tmpDir, SMALL);
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: true, paths: [path.join(tmpDir, '.gemini')] });
  });

  it('reports not installed when no data directory exists', async () => {
    const { plugin } = await start();
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [] });
  });

  it('uses only $GEMINI_CLI_HOME/.gemini when GEMINI_CLI_HOME is set', async () => {
    const dir = scratchDir();
    const fixture = writeGeminiFixture(dir, { ...SMALL, geminiHome: path.join(dir, 'profile', '.gemini') });
    const { plugin, tmpDir } = await start({ env: fixture.env });
    writeGeminiFixture(tmpDir, { ...SMALL, seed: 5 });
    expect((await plugin.invoke<AgentDiscovery>('discover')).paths).toEqual([path.join(dir, 'profile', '.gemini')]);
    const sources = await plugin.invoke<IngestSource[]>('sources');
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.every((source) => source.path.startsWith(path.join(dir, 'profile', '.gemini') + path.sep))).toBe(true);
  });

  it('takes agents.gemini.paths from its config over the environment (a .gemini directory or its tmp/)', async () => {
    const dir = scratchDir();
    writeGeminiFixture(dir, { ...SMALL, geminiHome: path.join(dir, 'configured', '.gemini') });
    const home = path.join(dir, 'configured', '.gemini');
    for (const entry of [home, path.join(home, 'tmp')]) {
      // Only the configured path is granted, as the kernel grants it.
      const { plugin } = await start({ config: { paths: [entry] }, env: { GEMINI_CLI_HOME: path.join(dir, 'elsewhere') }, permissions: { 'fs.read': [entry], env: ['GEMINI_CLI_HOME'] } });
      expect({ entry, paths: (await plugin.invoke<AgentDiscovery>('discover')).paths }).toEqual({ entry, paths: [entry] });
      expect({ entry, listsSources: (await plugin.invoke<IngestSource[]>('sources')).length > 0 }).toEqual({ entry, listsSources: true });
    }
  });
});

describe('adapter-gemini: permissions', () => {
  it('is refused a configured directory outside its permissions and reports it instead of failing', async () => {
    const dir = scratchDir();
    writeGeminiFixture(dir, { ...SMALL, geminiHome: path.join(dir, 'not-granted', '.gemini') });
    const { plugin, logs } = await start({ config: { paths: [path.join(dir, 'not-granted', '.gemini')] } });
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [] });
    expect(await plugin.invoke<IngestSource[]>('sources')).toEqual([]);
    const refusal = logs.find((log) => log.msg === 'cannot read a Gemini CLI path');
    expect(JSON.stringify(refusal)).toMatch(/outside every directory the plugin may read/);
  });
});

describe('adapter-gemini: sources', () => {
  it('lists JSONL recordings (main and sub-agent) with their pre-filter and keep-larger, and legacy JSON recordings whole', async () => {
    const { fixture, sources } = await startOverFixture();
    const tmp = path.join(fixture.geminiHome, 'tmp');
    const jsonl = sources.filter((source) => source.kind === 'jsonl');
    const json = sources.filter((source) => source.kind === 'json');
    expect(json.map((source) => path.basename(source.path)).every((name) => /^session-.+\.json$/.test(name))).toBe(true);
    expect(json).toHaveLength(2);
    expect(jsonl.every((source) => source.lineContains?.includes('"type":"gemini"') && source.conflict === 'keep-larger')).toBe(true);
    const subagent = path.join(tmp, 'api-server', 'chats', fixture.notable.subagent.parentSessionId, `${fixture.notable.subagent.sessionId}.jsonl`);
    expect(jsonl.map((source) => source.path)).toContain(subagent);
    expect(sources.every((source) => source.id === source.path && source.path.startsWith(tmp + path.sep))).toBe(true);
  });
});

describe('adapter-gemini: parse', () => {
  it('adds up to the generated corpus: tokens exactly and costs to the cent, by day and by model', async () => {
    const { fixture, plugin, sources } = await startOverFixture();
    expectMatchesFixture(await readAll(plugin, sources), fixture);
    expect(fixture.unknownModels).toEqual(['gemini-3.9-ultra-exp']);
  });

  it('counts every corrupt line, unknown line kind, missing field and over-long line as a warning, and fails on none', async () => {
    const { fixture, plugin, sources } = await startOverFixture({ hugeLineBytes: 9 * 1024 * 1024 });
    expectWarningsMatch(await readAll(plugin, sources), fixture);
  });

  it('gives the same records whatever the chunk size (re-appended messages keep their largest write)', async () => {
    const { plugin, sources } = await startOverFixture();
    const whole = byKey((await readAll(plugin, sources, { chunkLines: 100_000 })).records);
    for (const chunkLines of [1, 3]) {
      expect({ chunkLines, records: byKey((await readAll(plugin, sources, { chunkLines })).records) }).toEqual({ chunkLines, records: whole });
    }
  });

  it('counts a message appended again, and a legacy recording migrated to JSONL, once', async () => {
    const { fixture, plugin, sources } = await startOverFixture();
    const feed = await readAll(plugin, sources);
    expect(feed.returned).toBeGreaterThan(feed.records.length);
    for (const sessionId of [fixture.notable.reappended, fixture.notable.migrated]) {
      const keys = feed.records.filter((record) => record.sessionId === sessionId).map((record) => record.dedupKey);
      expect({ sessionId, unique: new Set(keys).size === keys.length, records: keys.length }).toEqual({ sessionId, unique: true, records: keys.length });
    }
    expect(feed.records.filter((record) => record.sessionId === fixture.notable.migrated)).toHaveLength(3);
  });

  it('keeps the calls of a rewound conversation (they were billed) and counts the rewind in the session', async () => {
    const { fixture, plugin, sources } = await startOverFixture();
    const feed = await readAll(plugin, sources);
    expect(feed.records.filter((record) => record.sessionId === fixture.notable.rewound)).toHaveLength(4);
    expect(feed.sessions.get(fixture.notable.rewound)?.metadata).toMatchObject({ rewinds: 1 });
  });

  it('reports sessions with project paths from .project_root or projects.json, sub-agents with their parent, and sessions without usage', async () => {
    const { fixture, plugin, sources } = await startOverFixture();
    const feed = await readAll(plugin, sources);
    for (const [sessionId, projectPath] of Object.entries(fixture.projectPaths)) {
      expect({ sessionId, projectPath: feed.sessions.get(sessionId)?.projectPath }).toEqual({ sessionId, projectPath });
    }
    expect(feed.sessions.get(fixture.notable.hashedProject)?.projectPath).toBeUndefined();
    expect(feed.sessions.get(fixture.notable.subagent.sessionId)?.metadata).toMatchObject({ kind: 'subagent', parentSessionId: fixture.notable.subagent.parentSessionId });
    expect(feed.sessions.has(fixture.notable.withoutUsage)).toBe(true);
    expect(feed.records.some((record) => record.sessionId === fixture.notable.withoutUsage)).toBe(false);
    const fallback = feed.records.filter((record) => record.flags?.includes('fallback-model'));
    expect(fallback.map((record) => [record.sessionId, record.model])).toEqual([[fixture.notable.fallbackModel.sessionId, fixture.notable.fallbackModel.model]]);
  });

  it('prices thoughts as output (reasoning) and tool-use prompts as input, subtracting cached from input', async () => {
    const { plugin } = await start();
    const answer = { id: 'g1', timestamp: '2026-10-01T10:01:00.000Z', type: 'gemini', content: 'ok', model: 'gemini-2.5-pro', tokens: { input: 10_000, output: 300, cached: 6_000, thoughts: 900, tool: 150, total: 11_350 } };
    const output = await plugin.invoke<ParseOutput>('parse', { source: SOURCE, lines: [HEADER, line({ ...answer, tokens: null }), line(answer)] });
    expect(output.records).toEqual([
      { dedupKey: 'gemini:sess-1:g1', sessionId: 'sess-1', model: 'gemini-2.5-pro', inputTokens: 4_150, outputTokens: 1_200, cacheWriteTokens: 0, cacheReadTokens: 6_000, reasoningTokens: 900, recordedAt: '2026-10-01T10:01:00.000Z' },
    ]);
    // The four kinds add up to Gemini's own total.
    const [record] = output.records as [UsageRecord];
    expect(record.inputTokens + record.outputTokens + record.cacheReadTokens).toBe(answer.tokens.total);
  });

  it('does not subtract cached tokens when the total shows the input excluded them', async () => {
    const { plugin } = await start();
    const answer = { id: 'g2', timestamp: '2026-10-01T10:02:00.000Z', type: 'gemini', model: 'gemini-2.5-flash', tokens: { input: 4_000, output: 100, cached: 1_000, thoughts: 0, tool: 0, total: 5_100 } };
    const output = await plugin.invoke<ParseOutput>('parse', { source: SOURCE, lines: [HEADER, line(answer)] });
    expect(output.records.map((record) => [record.inputTokens, record.cacheReadTokens])).toEqual([[4_000, 1_000]]);
    expect(warningCounts(output.warnings)).toEqual({});
  });

  it('reads the session id and title from the header and $set patches', async () => {
    const { plugin } = await start();
    const output = await plugin.invoke<ParseOutput>('parse', { source: SOURCE, lines: [HEADER, line({ $set: { summary: 'Port the importer', lastUpdated: '2026-10-01T11:00:00.000Z' } })] });
    expect(output.sessions).toEqual([
      { sessionId: 'sess-1', startedAt: '2026-10-01T10:00:00.000Z', title: 'Port the importer', metadata: { format: 'jsonl', rewinds: 0, projectHash: 'abc', kind: 'main', lastUpdated: '2026-10-01T11:00:00.000Z' } },
    ]);
  });
});

describe('adapter-gemini: a project directory on disk', () => {
  it('names the project from projects.json when the slug has no .project_root', async () => {
    const { plugin, tmpDir } = await start();
    const chats = path.join(tmpDir, '.gemini', 'tmp', 'my-app', 'chats');
    mkdirSync(chats, { recursive: true });
    writeFileSync(path.join(tmpDir, '.gemini', 'projects.json'), JSON.stringify({ projects: { '/srv/my-app': 'my-app' } }));
    const file = path.join(chats, 'session-2026-10-01T10-00-sess1234.jsonl');
    writeFileSync(file, `${HEADER}\n`);
    const [source] = await plugin.invoke<IngestSource[]>('sources');
    const output = await plugin.invoke<ParseOutput>('parse', { source, lines: [HEADER] });
    expect(output.sessions[0]?.projectPath).toBe('/srv/my-app');
  });
});
