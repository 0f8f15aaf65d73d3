import * as path from 'node:path';
import type { AgentDiscovery, IngestSource, ParseOutput } from '@rimuru/sdk';
import type { TestPluginHandle } from '@rimuru/sdk/testing';
import { CODEX_FALLBACK_MODEL, generateCodexCorpus } from '../../fixtures/agents/codex';
import { usePluginRuns } from '../plugin-runs';
import { expectMatchesFixture, expectWarningsMatch, jsonlFilesUnder, warningCounts } from '../adapter-claude-code/adapter-test-kit';
import { feedJsonlSources } from '../adapter-claude-code/jsonl-feeder';

const { start, scratchDir } = usePluginRuns(path.resolve(__dirname, '../../../plugins/adapter-codex'));
const SMALL = { sessions: 6, turnsPerSession: 2, hugeLineBytes: 1024 };

describe('adapter-codex: discovery', () => {
  it('finds ~/.codex by default and reads cli_version from the newest rollout', async () => {
    const { plugin, tmpDir } = await start();
    generateCodexCorpus(path.join(tmpDir, '.codex'), SMALL);
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: true, version: '0.46.0', paths: [path.join(tmpDir, '.codex')] });
  });

  it('reports not installed when there is no Codex home', async () => {
    const { plugin } = await start();
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [] });
  });

  it('uses CODEX_HOME instead of ~/.codex when it is set', async () => {
    const dir = scratchDir();
    generateCodexCorpus(path.join(dir, 'codex-home'), SMALL);
    const { plugin, tmpDir } = await start({ env: { HOME: dir, CODEX_HOME: path.join(dir, 'codex-home') } });
    generateCodexCorpus(path.join(tmpDir, '.codex'), { ...SMALL, seed: 3 });
    expect((await plugin.invoke<AgentDiscovery>('discover')).paths).toEqual([path.join(dir, 'codex-home')]);
    const sources = await plugin.invoke<IngestSource[]>('sources');
    expect(sources.map((source) => source.path).sort()).toEqual(jsonlFilesUnder(path.join(dir, 'codex-home')));
  });

  it('prefers agents.codex.paths from the config over CODEX_HOME', async () => {
    const dir = scratchDir();
    generateCodexCorpus(path.join(dir, 'configured'), SMALL);
    generateCodexCorpus(path.join(dir, 'env'), SMALL);
    const { plugin } = await start({
      config: { paths: [path.join(dir, 'configured')] },
      env: { CODEX_HOME: path.join(dir, 'env') },
      permissions: { 'fs.read': [dir], env: ['CODEX_HOME'] },
    });
    expect((await plugin.invoke<AgentDiscovery>('discover')).paths).toEqual([path.join(dir, 'configured')]);
  });

  it('is refused a configured home outside its permissions and reports it instead of failing', async () => {
    const dir = scratchDir();
    generateCodexCorpus(path.join(dir, 'elsewhere'), SMALL);
    const { plugin, logs } = await start({ config: { paths: [path.join(dir, 'elsewhere')] } });
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [] });
    expect(await plugin.invoke<IngestSource[]>('sources')).toEqual([]);
    expect(JSON.stringify(logs.find((log) => log.msg === 'cannot read a Codex data directory'))).toMatch(/outside every directory the plugin may read/);
  });
});

describe('adapter-codex: sources and parse over a generated corpus', () => {
  it('lists live and archived rollouts with the pre-filter; re-reads are ignored, not merged', async () => {
    const { plugin, tmpDir } = await start();
    const home = path.join(tmpDir, '.codex');
    generateCodexCorpus(home, SMALL);
    const sources = await plugin.invoke<IngestSource[]>('sources');
    expect(sources.map((source) => source.path).sort()).toEqual(jsonlFilesUnder(home));
    expect(sources.filter((source) => source.path.includes(`${path.sep}archived_sessions${path.sep}`))).toHaveLength(1);
    for (const source of sources) {
      expect(source).toEqual({ id: source.path, kind: 'jsonl', path: source.path, lineContains: ['"session_meta"', '"turn_context"', '"token_count"'], conflict: 'ignore' });
    }
  });

  it('counts each turn once: tokens exact by day and model, costs to the cent, warnings by kind', async () => {
    const { plugin, tmpDir } = await start();
    const fixture = generateCodexCorpus(path.join(tmpDir, '.codex'));
    const feed = await feedJsonlSources(plugin, await plugin.invoke<IngestSource[]>('sources'));
    expectMatchesFixture(feed, fixture);
    expect(feed.returned).toBe(fixture.totals.records); // re-emitted counts never became records
    expectWarningsMatch(feed, fixture);
    expect(fixture.unknownModels).toEqual(['gpt-sable-codex']);
  });

  it('carries the model, totals and session across chunks of one line each', async () => {
    const { plugin, tmpDir } = await start();
    const fixture = generateCodexCorpus(path.join(tmpDir, '.codex'), { seed: 11, hugeLineBytes: 1024 });
    const feed = await feedJsonlSources(plugin, await plugin.invoke<IngestSource[]>('sources'), { chunkLines: 1 });
    expectMatchesFixture(feed, fixture);
  });

  it('flags the records of a session without turn_context as priced with the fallback model', async () => {
    const { plugin, tmpDir } = await start();
    generateCodexCorpus(path.join(tmpDir, '.codex'), SMALL);
    const feed = await feedJsonlSources(plugin, await plugin.invoke<IngestSource[]>('sources'));
    const fallback = feed.records.filter((record) => record.flags?.includes('fallback-model'));
    expect(fallback.length).toBeGreaterThan(0);
    expect(new Set(fallback.map((record) => record.model))).toEqual(new Set([CODEX_FALLBACK_MODEL]));
    expect(feed.records.filter((record) => record.model === CODEX_FALLBACK_MODEL)).toEqual(fallback);
  });

  it('gives the same dedup keys when a rollout is read again from the start', async () => {
    const { plugin, tmpDir } = await start();
    generateCodexCorpus(path.join(tmpDir, '.codex'), SMALL);
    const sources = await plugin.invoke<IngestSource[]>('sources');
    const first = await feedJsonlSources(plugin, sources);
    const again = await feedJsonlSources(plugin, sources, { chunkLines: 3 });
    expect(again.records.map((record) => record.dedupKey).sort()).toEqual(first.records.map((record) => record.dedupKey).sort());
  });

  it('reports each session with its cwd, start and last activity, and the CLI version', async () => {
    const { plugin, tmpDir } = await start();
    const fixture = generateCodexCorpus(path.join(tmpDir, '.codex'), SMALL);
    const feed = await feedJsonlSources(plugin, await plugin.invoke<IngestSource[]>('sources'), { chunkLines: 4 });
    expect([...feed.sessions.keys()].sort()).toEqual(fixture.sessions);
    for (const session of feed.sessions.values()) {
      expect(session.projectPath).toMatch(/^\/home\/dev\/work\//);
      expect(session.startedAt! < session.endedAt!).toBe(true);
      expect(session.metadata?.cliVersion).toMatch(/^0\.\d+/);
    }
  });
});

describe('adapter-codex: parse, line by line', () => {
  const file = '/data/.codex/sessions/2026/03/15/rollout-2026-03-15T10-00-00-019e763f-ff0c-7683-a4e9-a17e2bf964fb.jsonl';
  const source: IngestSource = { id: file, kind: 'jsonl', path: file, lineContains: ['"session_meta"', '"turn_context"', '"token_count"'], conflict: 'ignore' };
  // `null` writes a line without a usable timestamp.
  const line = (type: string, payload: unknown, timestamp: string | null = '2026-03-15T10:00:09.000Z'): string => JSON.stringify({ timestamp, type, payload });
  const meta = (extra: Record<string, unknown> = {}): string =>
    line('session_meta', { id: 'sess-1', timestamp: '2026-03-15T10:00:00.118Z', cwd: '/home/dev/proj', originator: 'codex_cli_rs', cli_version: '0.46.0', ...extra }, '2026-03-15T10:00:00.118Z');
  const context = (model: string): string => line('turn_context', { cwd: '/home/dev/proj', model, effort: 'medium' }, '2026-03-15T10:00:01.000Z');
  const usage = (input: number, cached: number, output: number, reasoning: number): Record<string, number> => ({
    input_tokens: input,
    cached_input_tokens: cached,
    output_tokens: output,
    reasoning_output_tokens: reasoning,
    total_tokens: input + output,
  });
  const count = (info: unknown, timestamp?: string | null): string => line('event_msg', { type: 'token_count', info, rate_limits: { primary: { used_percent: 28 } } }, timestamp);
  const parse = async (lines: string[], state?: unknown): Promise<ParseOutput> => plugin.invoke<ParseOutput>('parse', { source, lines, offset: 0, state });

  let plugin: TestPluginHandle;
  beforeEach(async () => {
    ({ plugin } = await start());
  });

  it('maps a turn: uncached input = input − cached, reasoning inside output, key from the cumulative total', async () => {
    const output = await parse([meta(), context('gpt-5-codex'), count({ total_token_usage: usage(24512, 18304, 812, 512), last_token_usage: usage(24512, 18304, 812, 512) })]);
    expect(output.records).toEqual([
      {
        dedupKey: 'codex:sess-1:24512:18304:812:512',
        sessionId: 'sess-1',
        model: 'gpt-5-codex',
        provider: 'openai',
        inputTokens: 6208,
        outputTokens: 812,
        cacheWriteTokens: 0,
        cacheReadTokens: 18304,
        reasoningTokens: 512,
        recordedAt: '2026-03-15T10:00:09.000Z',
      },
    ]);
    expect(output.sessions).toEqual([
      { sessionId: 'sess-1', projectPath: '/home/dev/proj', startedAt: '2026-03-15T10:00:00.118Z', endedAt: '2026-03-15T10:00:09.000Z', metadata: { cliVersion: '0.46.0' } },
    ]);
    expect(output.warnings).toEqual([]);
  });

  it('adds nothing for info:null, for a re-emitted count, or for a zero delta', async () => {
    const totals = { total_token_usage: usage(100, 20, 30, 5), last_token_usage: usage(100, 20, 30, 5) };
    const output = await parse([meta(), context('gpt-5-codex'), count(null), count(totals), count(totals, '2026-03-15T10:00:12.000Z'), count({ total_token_usage: usage(100, 20, 30, 5) })]);
    expect(output.records).toHaveLength(1);
    expect(output.warnings).toEqual([]);
  });

  it('subtracts the previous total when last_token_usage is missing, across calls through state', async () => {
    const first = await parse([meta(), context('gpt-5.1-codex'), count({ total_token_usage: usage(1000, 400, 50, 10) })]);
    const second = await parse([count({ total_token_usage: usage(3500, 2400, 150, 40) }, '2026-03-15T10:01:00.000Z')], first.state);
    expect(second.records).toEqual([
      expect.objectContaining({ model: 'gpt-5.1-codex', sessionId: 'sess-1', inputTokens: 500, cacheReadTokens: 2000, outputTokens: 100, reasoningTokens: 30, dedupKey: 'codex:sess-1:3500:2400:150:40' }),
    ]);
  });

  it('uses the latest turn_context model, and gpt-5 flagged as a fallback before any', async () => {
    const output = await parse([
      count({ total_token_usage: usage(10, 0, 1, 0), last_token_usage: usage(10, 0, 1, 0) }),
      context('gpt-5.2-codex'),
      count({ total_token_usage: usage(30, 0, 3, 0), last_token_usage: usage(20, 0, 2, 0) }),
    ]);
    expect(output.records.map((record) => [record.model, record.flags])).toEqual([
      ['gpt-5', ['fallback-model']],
      ['gpt-5.2-codex', undefined],
    ]);
    // No session_meta: the session id comes from the rollout's file name.
    expect(output.records[0]?.sessionId).toBe('019e763f-ff0c-7683-a4e9-a17e2bf964fb');
  });

  it('keys a fork by the session it replays, so its copy of the parent turns collides with the parent', async () => {
    const parentTurn = count({ total_token_usage: usage(100, 20, 30, 5), last_token_usage: usage(100, 20, 30, 5) });
    const parent = await parse([meta({ id: 'parent' }), context('gpt-5-codex'), parentTurn]);
    const fork = await parse([meta({ id: 'child', forked_from_id: 'parent' }), meta({ id: 'parent' }), context('gpt-5-codex'), parentTurn]);
    expect(fork.records[0]?.dedupKey).toBe(parent.records[0]?.dedupKey);
    expect(fork.records[0]?.sessionId).toBe('child');
    const spawned = await parse([meta({ id: 'agent', source: { subagent: { thread_spawn: { parent_thread_id: 'parent' } } } }), parentTurn]);
    expect(spawned.records[0]?.dedupKey).toBe(parent.records[0]?.dedupKey);
  });

  it('never throws on bad data or a broken state: each bad line is one warning of its kind', async () => {
    const lines = [
      'not json',
      '\u0000\ufffd"token_count"',
      '[]',
      JSON.stringify({ type: 'ghost', payload: { type: 'token_count' } }),
      JSON.stringify({ payload: { type: 'token_count' } }),
      line('session_meta', 'not an object'),
      count({ total_token_usage: usage(1, 0, 1, 0) }, null),
      count({ total_token_usage: { input_tokens: 'many' } }),
      count('info as a string'),
      count({ rate_limits: {} }),
      line('event_msg', { type: 'agent_message', message: 'token_count' }),
      line('response_item', { type: 'message' }),
      line('compacted', { message: 'summary' }),
    ];
    const output = await parse(lines, { total: { input: 'x' }, model: 42, sessionId: '' });
    expect(output.records).toEqual([]);
    expect(warningCounts(output.warnings)).toEqual({ corrupt: 3, 'unknown-type': 2, 'missing-field': 5 });
  });
});
