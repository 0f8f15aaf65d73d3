import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentDiscovery, IngestSource, ParseOutput } from '@rimuru/sdk';
import type { TestPluginHandle } from '@rimuru/sdk/testing';
import { encodeProjectDir, generateClaudeCodeCorpus } from '../../fixtures/agents/claude-code';
import { usePluginRuns } from '../plugin-runs';
import { expectMatchesFixture, expectWarningsMatch, jsonlFilesUnder, warningCounts } from './adapter-test-kit';
import { feedJsonlSources } from './jsonl-feeder';

const { start, scratchDir } = usePluginRuns(path.resolve(__dirname, '../../../plugins/adapter-claude-code'));
// The July 2026 snapshot's `provider_specific_entry.fast` for claude-opus-4-6, the corpus's fast-mode model.
const fastMultiplier = (): number => 6;
const TINY = { sessionsPerProject: 1, turnsPerSession: 1, hugeLineBytes: 1024 };

describe('adapter-claude-code: discovery', () => {
  it('finds ~/.claude by default and reads the version from the newest transcript', async () => {
    const { plugin, tmpDir } = await start();
    generateClaudeCodeCorpus(path.join(tmpDir, '.claude'), { sessionsPerProject: 1, turnsPerSession: 2, hugeLineBytes: 1024 });
    const discovery = await plugin.invoke<AgentDiscovery>('discover');
    expect(discovery).toEqual({ installed: true, version: '2.0.76', paths: [path.join(tmpDir, '.claude')] });
  });

  it('reports not installed when no data root exists', async () => {
    const { plugin } = await start();
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [] });
  });

  it('uses only CLAUDE_CONFIG_DIR when it is set, given as the config dir or as its projects/ folder', async () => {
    const dir = scratchDir();
    generateClaudeCodeCorpus(path.join(dir, 'alt'), TINY);
    generateClaudeCodeCorpus(path.join(dir, 'home', '.claude'), TINY);
    for (const entry of [path.join(dir, 'alt'), path.join(dir, 'alt', 'projects')]) {
      const { plugin } = await start({ env: { HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: entry } });
      const discovery = await plugin.invoke<AgentDiscovery>('discover');
      expect({ entry, paths: discovery.paths, installed: discovery.installed }).toEqual({ entry, paths: [path.join(dir, 'alt')], installed: true });
    }
  });

  it('splits a comma-separated CLAUDE_CONFIG_DIR into several roots', async () => {
    const dir = scratchDir();
    generateClaudeCodeCorpus(path.join(dir, 'one'), TINY);
    generateClaudeCodeCorpus(path.join(dir, 'two'), { ...TINY, seed: 7 });
    // The manifest's own permissions: "$CLAUDE_CONFIG_DIR[,]" grants each entry of the list.
    const { plugin } = await start({ env: { HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: `${path.join(dir, 'one')}, ${path.join(dir, 'two')}/` } });
    const discovery = await plugin.invoke<AgentDiscovery>('discover');
    expect(discovery.paths).toEqual([path.join(dir, 'one'), path.join(dir, 'two')]);
    const sources = await plugin.invoke<IngestSource[]>('sources');
    expect(sources.map((source) => source.path).sort()).toEqual([...jsonlFilesUnder(path.join(dir, 'one')), ...jsonlFilesUnder(path.join(dir, 'two'))].sort());
  });

  it('reads $XDG_CONFIG_HOME/claude and ~/.claude when CLAUDE_CONFIG_DIR is unset', async () => {
    const dir = scratchDir();
    generateClaudeCodeCorpus(path.join(dir, 'xdg', 'claude'), TINY);
    const { plugin, tmpDir } = await start({ env: { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg') } });
    generateClaudeCodeCorpus(path.join(tmpDir, '.claude'), TINY);
    const discovery = await plugin.invoke<AgentDiscovery>('discover');
    expect(discovery.paths).toEqual([path.join(dir, 'xdg', 'claude'), path.join(tmpDir, '.claude')]);
  });

  it('prefers agents.claude-code.paths from the config over the environment', async () => {
    const dir = scratchDir();
    generateClaudeCodeCorpus(path.join(dir, 'configured'), TINY);
    generateClaudeCodeCorpus(path.join(dir, 'env'), TINY);
    const { plugin } = await start({
      config: { paths: [path.join(dir, 'configured')] },
      env: { CLAUDE_CONFIG_DIR: path.join(dir, 'env') },
      permissions: { 'fs.read': [dir], env: ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME'] },
    });
    expect((await plugin.invoke<AgentDiscovery>('discover')).paths).toEqual([path.join(dir, 'configured')]);
  });
});

describe('adapter-claude-code: permissions', () => {
  it('is refused a configured root outside its permissions and reports it instead of failing', async () => {
    const dir = scratchDir();
    generateClaudeCodeCorpus(path.join(dir, 'elsewhere'), TINY);
    const { plugin, logs } = await start({ config: { paths: [path.join(dir, 'elsewhere')] } });
    expect(await plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [] });
    expect(await plugin.invoke<IngestSource[]>('sources')).toEqual([]);
    const refusal = logs.find((log) => log.msg === 'cannot read a Claude Code data root');
    expect(JSON.stringify(refusal)).toMatch(/outside every directory the plugin may read/);
  });

  it('skips a project folder that links out of the data root', async () => {
    const dir = scratchDir();
    mkdirSync(path.join(dir, 'outside'), { recursive: true });
    writeFileSync(path.join(dir, 'outside', 'stolen.jsonl'), '{"type":"assistant"}\n');
    const { plugin, tmpDir } = await start();
    const configDir = path.join(tmpDir, '.claude');
    generateClaudeCodeCorpus(configDir, TINY);
    symlinkSync(path.join(dir, 'outside'), path.join(configDir, 'projects', '-etc-link'));
    const sources = await plugin.invoke<IngestSource[]>('sources');
    expect(sources.map((source) => source.path).sort()).toEqual(jsonlFilesUnder(path.join(configDir, 'projects')).filter((file) => !file.includes('-etc-link')));
  });
});

describe('adapter-claude-code: sources and parse over a generated corpus', () => {
  it('lists every transcript, sub-agent logs included, with the usage pre-filter and keep-larger', async () => {
    const { plugin, tmpDir } = await start();
    const configDir = path.join(tmpDir, '.claude');
    generateClaudeCodeCorpus(configDir, { hugeLineBytes: 1024 });
    const sources = await plugin.invoke<IngestSource[]>('sources');
    expect(sources.map((source) => source.path).sort()).toEqual(jsonlFilesUnder(configDir));
    expect(sources.some((source) => source.path.includes(`${path.sep}subagents${path.sep}`))).toBe(true);
    for (const source of sources) {
      expect(source).toEqual({ id: source.path, kind: 'jsonl', path: source.path, lineContains: ['"usage"', 'costUSD'], conflict: 'keep-larger' });
    }
  });

  it('counts every API response once: tokens exact by day and model, costs to the cent, warnings by kind', async () => {
    const { plugin, tmpDir } = await start();
    const fixture = generateClaudeCodeCorpus(path.join(tmpDir, '.claude'));
    const sources = await plugin.invoke<IngestSource[]>('sources');
    const feed = await feedJsonlSources(plugin, sources);
    expectMatchesFixture(feed, fixture, fastMultiplier);
    expect(feed.returned).toBeGreaterThan(fixture.totals.records); // streaming copies and replays were there to merge
    expectWarningsMatch(feed, fixture);
    expect(fixture.unknownModels).toEqual(['claude-nebula-1']);
  });

  it('gives the same totals when the lines come a few at a time (keep-larger across chunks)', async () => {
    const { plugin, tmpDir } = await start();
    const fixture = generateClaudeCodeCorpus(path.join(tmpDir, '.claude'), { seed: 99, hugeLineBytes: 1024 });
    const feed = await feedJsonlSources(plugin, await plugin.invoke<IngestSource[]>('sources'), { chunkLines: 2 });
    expectMatchesFixture(feed, fixture, fastMultiplier);
  });

  it('reports each session with its project path and its first and last activity', async () => {
    const { plugin, tmpDir } = await start();
    const fixture = generateClaudeCodeCorpus(path.join(tmpDir, '.claude'), { hugeLineBytes: 1024 });
    const feed = await feedJsonlSources(plugin, await plugin.invoke<IngestSource[]>('sources'));
    for (const sessionId of fixture.sessions) {
      const session = feed.sessions.get(sessionId);
      expect(session?.projectPath).toMatch(/^\/home\/dev\//);
      expect(Date.parse(session?.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(session?.endedAt ?? ''));
      const ofSession = feed.records.filter((record) => record.sessionId === sessionId).map((record) => record.recordedAt).sort();
      expect(session?.startedAt! <= ofSession[0]! && session?.endedAt! >= ofSession[ofSession.length - 1]!).toBe(true);
    }
  });
});

describe('adapter-claude-code: parse, line by line', () => {
  const source = (file = '/data/.claude/projects/-home-dev-proj/0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b.jsonl'): IngestSource => ({
    id: file,
    kind: 'jsonl',
    path: file,
    lineContains: ['"usage"', 'costUSD'],
    conflict: 'keep-larger',
  });
  const assistant = (fields: Record<string, unknown> = {}, usage: Record<string, unknown> = {}, message: Record<string, unknown> = {}): string =>
    JSON.stringify({
      parentUuid: null,
      isSidechain: false,
      cwd: '/home/dev/proj',
      sessionId: '0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b',
      version: '2.0.76',
      message: {
        id: 'msg_018vkDifij3YKNQ5gzjtvbXz',
        type: 'message',
        role: 'assistant',
        model: 'claude-opus-4-20250514',
        content: [],
        usage: { input_tokens: 3, cache_creation_input_tokens: 161, cache_read_input_tokens: 89356, output_tokens: 97, ...usage },
        ...message,
      },
      requestId: 'req_011CPkCWc21qrE6dGwSHMcw1',
      type: 'assistant',
      uuid: '03a7c8e2-0000-4000-8000-000000000001',
      timestamp: '2025-06-02T22:40:37.397Z',
      ...fields,
    });
  const parse = async (lines: string[], file?: string): Promise<ParseOutput> => plugin.invoke<ParseOutput>('parse', { source: source(file), lines, offset: 0 });

  let plugin: TestPluginHandle;
  beforeEach(async () => {
    ({ plugin } = await start());
  });

  it('maps a line: uncached input, cache writes with their 1-hour part, reads, key, session, time', async () => {
    const output = await parse([assistant({}, { cache_creation: { ephemeral_5m_input_tokens: 61, ephemeral_1h_input_tokens: 100 } })]);
    expect(output.records).toEqual([
      {
        dedupKey: 'claude-code:msg_018vkDifij3YKNQ5gzjtvbXz:req_011CPkCWc21qrE6dGwSHMcw1',
        sessionId: '0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b',
        model: 'claude-opus-4-20250514',
        provider: 'anthropic',
        inputTokens: 3,
        outputTokens: 97,
        cacheWriteTokens: 161,
        cacheWrite1hTokens: 100,
        cacheReadTokens: 89356,
        reasoningTokens: 0,
        recordedAt: '2025-06-02T22:40:37.397Z',
      },
    ]);
    expect(output.sessions).toEqual([
      { sessionId: '0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b', projectPath: '/home/dev/proj', startedAt: '2025-06-02T22:40:37.397Z', endedAt: '2025-06-02T22:40:37.397Z', metadata: { version: '2.0.76' } },
    ]);
    expect(output.warnings).toEqual([]);
  });

  it('keeps the largest streamed copy of a response, and the main thread over an equal sidechain replay', async () => {
    const replay = assistant({ isSidechain: true, sessionId: 'replayed-in-agent', timestamp: '2025-06-02T22:40:39.000Z' }, { output_tokens: 300 });
    const output = await parse([replay, assistant({}, { output_tokens: 12 }), assistant({}, { output_tokens: 300 }), assistant({}, { output_tokens: 150 })]);
    expect(output.records).toHaveLength(1);
    expect(output.records[0]).toMatchObject({ outputTokens: 300, sessionId: '0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b' });
  });

  it('carries costUSD as the reported cost and marks fast mode', async () => {
    const output = await parse([assistant({ costUSD: 0.0421 }, { speed: 'fast' })]);
    expect(output.records[0]).toMatchObject({ costUsd: 0.0421, flags: ['fast'] });
  });

  it('keys a line without message.id or requestId by its uuid, else by a hash of the line, stable across calls', async () => {
    const noRequest = assistant({ requestId: undefined, uuid: 'u-1' });
    const bare = JSON.stringify({ type: 'assistant', timestamp: '2025-06-02T22:40:37.397Z', message: { model: 'claude-opus-4-20250514', usage: { input_tokens: 1, output_tokens: 2 } } });
    const first = await parse([noRequest, bare]);
    const second = await parse([noRequest, bare]);
    expect(first.records.map((record) => record.dedupKey)).toEqual(['claude-code:uuid:u-1', expect.stringMatching(/^claude-code:line:[0-9a-f]{16}$/)]);
    expect(second.records.map((record) => record.dedupKey)).toEqual(first.records.map((record) => record.dedupKey));
    expect(first.records[1]?.sessionId).toBe('0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b'); // from the file name
  });

  it('gives a sub-agent log without sessionId its parent session', async () => {
    const file = '/data/.claude/projects/-home-dev-proj/0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b/subagents/agent-1a2b3c4d.jsonl';
    const output = await parse([assistant({ sessionId: undefined })], file);
    expect(output.records[0]?.sessionId).toBe('0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b');
  });

  it('counts no tokens for <synthetic> API error messages', async () => {
    const output = await parse([assistant({ isApiErrorMessage: true }, { input_tokens: 0, output_tokens: 0 }, { model: '<synthetic>' })]);
    expect(output.records).toEqual([]);
    expect(output.warnings).toEqual([]);
  });

  it('never throws on bad data: each bad line is one warning of its kind', async () => {
    const lines = [
      'not json at all',
      '\u0000\u00ff\ufffd"usage"\ufffd',
      '[1,2,3]',
      'null',
      '42',
      JSON.stringify({ type: 'mystery', usage: 1 }),
      JSON.stringify({ usage: {} }),
      assistant({ timestamp: undefined }),
      assistant({ timestamp: 'yesterday' }),
      assistant({}, { input_tokens: -1 }),
      assistant({}, { output_tokens: '97' }),
      assistant({}, { cache_read_input_tokens: 1.5 }),
      assistant({}, { input_tokens: Number.MAX_SAFE_INTEGER * 2 }),
      JSON.stringify({ type: 'user', message: { role: 'user', content: 'hi' }, toolUseResult: { usage: { input_tokens: 5 } } }),
      JSON.stringify({ type: 'assistant', message: { usage: null } }),
      JSON.stringify({ type: 'assistant', message: 'usage' }),
    ];
    const output = await parse(lines);
    expect(output.records).toEqual([]);
    expect(warningCounts(output.warnings)).toEqual({ corrupt: 5, 'unknown-type': 2, 'missing-field': 6 });
  });

  it('answers a malformed parse call with a warning instead of a crash', async () => {
    const output = await plugin.invoke<ParseOutput>('parse', { lines: 'not a list' });
    expect(output).toEqual({ records: [], sessions: [], warnings: [{ kind: 'other', message: 'parse input without source.path and lines' }] });
  });
});

// Keep the encoding rule in view: Claude Code names project folders after the cwd this way.
it('encodes a cwd the way Claude Code names project folders', () => {
  expect(encodeProjectDir('/home/dev/work/web.app')).toBe('-home-dev-work-web-app');
});
