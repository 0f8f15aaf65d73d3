import { checkDiscovery, checkParseOutput, checkSources } from '../../../kernel/services/ingestion/adapter-output';
import { ErrorCodes, RimuruError } from '../../../kernel/core/errors';

/** What adapters return is checked at the door: a broken envelope fails the call, a broken item is dropped and counted. */

const good = {
  dedupKey: 'codex:s1:25324',
  sessionId: 's1',
  model: 'gpt-5-codex',
  inputTokens: 6208,
  outputTokens: 812,
  cacheWriteTokens: 0,
  cacheReadTokens: 18304,
  reasoningTokens: 512,
  recordedAt: '2026-03-15T10:00:09.000Z',
};

function thrown(run: () => unknown): RimuruError {
  try {
    run();
  } catch (error) {
    return error as RimuruError;
  }
  throw new Error('expected a throw');
}

describe('checkParseOutput', () => {
  it('keeps valid records and counts every dropped one with its reason, by kind', () => {
    const bad: Array<[string, Record<string, unknown>]> = [
      ['dedupKey', { dedupKey: '' }],
      ['sessionId', { sessionId: 's'.repeat(256) }],
      ['model', { model: 7 }],
      ['inputTokens', { inputTokens: -1 }],
      ['outputTokens', { outputTokens: 1.5 }],
      ['reasoningTokens', { reasoningTokens: undefined }],
      ['cacheWrite1hTokens', { cacheWrite1hTokens: '3' }],
      ['costUsd', { costUsd: Number.NaN }],
      ['recordedAt', { recordedAt: 'yesterday' }],
      ['flags', { flags: ['fast', 1] }],
      ['provider', { provider: 'p'.repeat(101) }],
    ];
    const output = checkParseOutput('@rimuru/adapter-codex', 'codex', {
      records: [good, { ...good, dedupKey: 'codex:s1:2', costUsd: 0.5, flags: ['fallback-model'], cacheWrite1hTokens: 0 }, ...bad.map(([, change]) => ({ ...good, ...change })), 'nope'],
      sessions: [{ sessionId: 's1', projectPath: '/home/dev/proj', startedAt: '2026-03-15T10:00:00.118Z' }, { sessionId: '' }, { sessionId: 's2', startedAt: 'soon' }],
      state: { model: 'gpt-5-codex' },
      warnings: [{ kind: 'corrupt', message: 'line 3 is not JSON' }, { kind: 'unknown-type', message: 'compacted' }, { kind: 'made-up', message: 'x' }],
    });
    expect(output.records.map((r) => r.dedupKey)).toEqual(['codex:s1:25324', 'codex:s1:2']);
    expect(output.sessions.map((s) => s.sessionId)).toEqual(['s1']);
    expect(output.state).toEqual({ model: 'gpt-5-codex' });
    expect(output.warnings).toEqual({ 'invalid-record': bad.length + 1 + 2, corrupt: 1, 'unknown-type': 1, other: 1 });
    for (const [field] of bad.slice(0, 3)) expect(output.samples.join('\n')).toContain(field);
  });

  it('drops a record whose dedup key is outside the adapter’s own namespace (it could replace another agent’s records)', () => {
    const output = checkParseOutput('@evil/adapter', 'codex', { records: [{ ...good, dedupKey: 'claude-code:msg_1:req_1' }] });
    expect(output.records).toEqual([]);
    expect(output.warnings).toEqual({ 'invalid-record': 1 });
    expect(output.samples[0]).toContain('does not start with "codex:"');
  });

  it('fails the call with E3009 naming the adapter when the envelope itself is wrong', () => {
    for (const value of [null, [], { records: 'x' }, { sessions: [] }]) {
      const error = thrown(() => checkParseOutput('@rimuru/adapter-codex', 'codex', value));
      expect({ code: error.code, names: error.message.includes('@rimuru/adapter-codex') && error.message.includes('parse') }).toEqual({
        code: ErrorCodes.ADAPTER_INVALID_OUTPUT,
        names: true,
      });
    }
  });
});

describe('checkDiscovery and checkSources', () => {
  it('accept the contract and refuse anything else with E3009', () => {
    expect(checkDiscovery('a', { installed: true, version: '1.0.0', paths: ['/x'] })).toEqual({ installed: true, version: '1.0.0', paths: ['/x'] });
    expect(checkDiscovery('a', { installed: false })).toEqual({ installed: false, version: undefined, paths: [] });
    expect(thrown(() => checkDiscovery('a', { installed: 'yes' })).code).toBe(ErrorCodes.ADAPTER_INVALID_OUTPUT);
    expect(checkSources('a', [{ id: '/x.jsonl', kind: 'jsonl', path: '/x.jsonl', lineContains: ['"usage"'], conflict: 'keep-larger' }])).toHaveLength(1);
    expect(thrown(() => checkSources('a', [{ id: '/x', kind: 'csv', path: '/x' }])).code).toBe(ErrorCodes.ADAPTER_INVALID_OUTPUT);
  });
});
