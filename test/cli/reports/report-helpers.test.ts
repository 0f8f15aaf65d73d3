import { neededForIngest, progressStateOf, summariseIngest } from '../../../kernel/cli/reports/ingest-first';
import type { PluginRecord } from '../../../kernel/core/registry';
import { ProgressBar, renderProgressLine } from '../../../kernel/cli/reports/progress-bar';
import { formatDuration, formatTokens, formatUsd } from '../../../kernel/cli/reports/report-format';

describe('report figures for people', () => {
  it('money has cents, four decimals below a cent; tokens have thousands separators', () => {
    expect([0, 12.345, 1234567.891, 0.01, 0.0042, 0.00004].map(formatUsd)).toEqual(['$0.00', '$12.35', '$1,234,567.89', '$0.01', '$0.0042', '$0.0000']);
    expect([0, 999, 1000, 12345678].map(formatTokens)).toEqual(['0', '999', '1,000', '12,345,678']);
    expect([0, 59 * 60_000, 61 * 60_000, 50 * 3_600_000].map(formatDuration)).toEqual(['0m', '59m', '1h 01m', '2d 2h']);
  });
});

describe('ingest progress bar', () => {
  function stream(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, target: { isTTY, columns: 60, write: (text: string) => writes.push(text) } };
  }

  it('draws nothing when stderr is not a terminal', () => {
    const { writes, target } = stream(false);
    let clock = 0;
    const bar = new ProgressBar(target, { now: () => clock });
    clock = 10_000;
    bar.update({ done: 1, total: 2 });
    bar.finish();
    expect(writes).toEqual([]);
  });

  it('waits before the first draw, redraws at most once per throttle interval, and clears its line at the end', () => {
    const { writes, target } = stream(true);
    let clock = 0;
    const bar = new ProgressBar(target, { delayMs: 500, throttleMs: 100, now: () => clock });
    clock = 400;
    bar.update({ done: 1, total: 10 }); // a quick ingest never shows a bar
    clock = 600;
    bar.update({ done: 2, total: 10 });
    clock = 650;
    bar.update({ done: 3, total: 10 }); // within the throttle interval
    clock = 700;
    bar.update({ done: 4, total: 10, label: 'claude-code' });
    bar.finish();
    expect(writes).toHaveLength(3);
    expect(writes[0]).toContain(' 20% 2/10');
    expect(writes[1]).toContain(' 40% 4/10 claude-code');
    expect(writes[2]).toBe('\r\x1b[K');
  });

  it('fits the line to the terminal', () => {
    expect(renderProgressLine({ done: 5, total: 10, label: 'x'.repeat(200) }, 40).length).toBeLessThanOrEqual(39);
    expect(renderProgressLine({ done: 0, total: 0 }, 80)).toContain('  0% 0/0');
  });
});

describe('the ingest summary under a report', () => {
  const source = (sourceId: string, counts: Record<string, number>) => ({ plugin: '@rimuru/adapter-claude-code', agentType: 'claude-code', sourceId, path: sourceId, counts, samples: [] });

  it('sums skipped lines per kind over every source, lists the first failures by name, and keeps the unknown models', () => {
    const error = (n: number) => ({ plugin: `@rimuru/adapter-${n}`, agentType: 'x', code: 'E2007', message: `broken ${n}` });
    const outcome = summariseIngest({
      unknownModels: ['m-x'],
      warnings: [source('/a.jsonl', { corrupt: 2, 'unknown-type': 1 }), source('/b.jsonl', { corrupt: 1, 'huge-line': 0 })],
      errors: [error(1), { ...error(2), sourceId: '/c.jsonl' }, error(3), error(4), error(5)],
    });
    expect(outcome.unknownModels).toEqual(['m-x']);
    expect(outcome.warnings.map((warning) => warning.message)).toEqual([
      'ingest skipped 3 corrupt lines in 2 sources (details: --log-level debug)',
      'ingest skipped 1 line of an unknown type in 1 source (details: --log-level debug)',
      'ingest: @rimuru/adapter-1: E2007 broken 1',
      'ingest: @rimuru/adapter-2 (/c.jsonl): E2007 broken 2',
      'ingest: @rimuru/adapter-3: E2007 broken 3',
      'ingest: 2 more sources or adapters failed (details: --log-level debug)',
    ]);
  });

  it('shows progress in megabytes while there are new bytes, else in sources', () => {
    const progress = { sourcesTotal: 4, sourcesDone: 1, bytesTotal: 3 * 1_048_576, bytesDone: 1_048_576, recordsWritten: 10, plugin: '@rimuru/adapter-codex' };
    expect(progressStateOf(progress)).toEqual({ done: 1_048_576, total: 3 * 1_048_576, unit: 'bytes', label: 'codex' });
    expect(renderProgressLine(progressStateOf(progress), 80)).toContain(' 33% 1.0/3.0 MB codex');
    expect(progressStateOf({ ...progress, bytesTotal: 0, bytesDone: 0, plugin: undefined })).toEqual({ done: 1, total: 4, unit: 'sources', label: undefined });
  });
});

describe('the plugins a report starts', () => {
  const record = (kind: string, agentType?: string, hooks: string[] = []): PluginRecord =>
    ({
      name: `p-${kind}-${agentType ?? ''}`,
      manifest: { rimuru: { kind, contributes: { ...(agentType ? { adapters: [{ agentType, displayName: agentType }] } : {}), hooks: hooks.map((hook) => ({ hook })) } } },
    }) as unknown as PluginRecord;

  it('starts the adapters of the agents asked about, hook plugins for what an ingest emits, and notifiers; not exporters, sync, views or mux', () => {
    expect(neededForIngest(record('adapter', 'codex'), ['codex'])).toBe(true);
    expect(neededForIngest(record('adapter', 'goose'), ['codex'])).toBe(false);
    expect(neededForIngest(record('adapter', 'goose'), undefined)).toBe(true);
    for (const hook of ['AgentDiscovered', 'SessionStart', 'SessionEnd', 'CostRecorded', 'CostThreshold']) {
      expect(neededForIngest(record('hook', undefined, ['KernelReady', hook]), ['codex'])).toBe(true);
    }
    // A hook plugin for other moments (the example greets KernelReady) waits for the commands that emit them.
    expect(neededForIngest(record('hook', undefined, ['KernelReady', 'PluginLoaded']), ['codex'])).toBe(false);
    expect(neededForIngest(record('notifier'), ['codex'])).toBe(true);
    for (const kind of ['exporter', 'sync', 'view', 'mux']) expect(neededForIngest(record(kind), undefined)).toBe(false);
  });
});
