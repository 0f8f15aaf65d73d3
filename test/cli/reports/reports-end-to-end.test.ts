import path from 'node:path';
import type { TokenTotals } from '../../../kernel/services/storage';
import { generateClaudeCodeCorpus } from '../../fixtures/agents/claude-code';
import { generateCodexCorpus } from '../../fixtures/agents/codex';
import type { AgentFixture, ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { createReportSandbox, type ReportSandbox } from './report-cli';

/**
 * The promise through the bin: generated Claude Code and Codex data in their usual
 * places, `rimuru-kernel costs daily --json` (which ingests first, through the real adapters in
 * their sandboxes and the real pricing), and per day exactly what the generators wrote —
 * tokens to the token, cost to the cent — with their unknown models and skipped lines named.
 */

type Totals = TokenTotals;
interface Daily {
  rows: Array<{ period: string; agents: Array<{ agent: string } & Totals> } & Totals>;
  totals: Totals;
  warnings: Array<{ kind: string; model?: string; message: string }>;
}

const cents = (usd: number) => Math.round(usd * 100);
const figures = (usage: Totals | ExpectedUsage) => ({
  inputTokens: usage.inputTokens,
  outputTokens: usage.outputTokens,
  cacheWriteTokens: usage.cacheWriteTokens,
  cacheReadTokens: usage.cacheReadTokens,
  reasoningTokens: usage.reasoningTokens,
  totalTokens: usage.totalTokens,
  cents: cents(usage.costUsd),
});

let box: ReportSandbox;
let claude: AgentFixture;
let codex: AgentFixture;

beforeAll(async () => {
  box = await createReportSandbox();
  const codexHome = path.join(box.home, 'codex-home');
  box.env.CODEX_HOME = codexHome;
  claude = generateClaudeCodeCorpus(path.join(box.home, '.claude'), { hugeLineBytes: 9 * 1024 * 1024 });
  codex = generateCodexCorpus(codexHome);
});
afterAll(() => box.remove());

describe('reports on real agent data', () => {
  it('costs daily ingests first and reports each day per agent as the generators wrote it, to the token and the cent', async () => {
    const daily = await box.json<Daily>('costs', 'daily', '--json', '--tz', 'UTC', '--agent', 'claude-code', '--agent', 'codex');
    for (const fixture of [claude, codex]) {
      const stored = Object.fromEntries(
        daily.rows.flatMap((row) => row.agents.filter((agent) => agent.agent === fixture.agentType).map((agent) => [row.period, figures(agent)])),
      );
      expect({ agent: fixture.agentType, days: stored }).toEqual({
        agent: fixture.agentType,
        days: Object.fromEntries(Object.entries(fixture.byDay).map(([day, usage]) => [day, figures(usage)])),
      });
    }
    expect(daily.totals.totalTokens).toBe(claude.totals.totalTokens + codex.totals.totalTokens);
    const unknown = daily.warnings.filter((warning) => warning.kind === 'unknown-model').map((warning) => warning.model);
    expect(unknown.sort()).toEqual([...claude.unknownModels, ...codex.unknownModels].sort());
    expect(daily.warnings.filter((warning) => warning.kind === 'ingest-failed')).toEqual([]);
    expect(daily.warnings.some((warning) => warning.kind === 'ingest-skipped' && /corrupt lines/.test(warning.message))).toBe(true);
  });

  it('a second report reads nothing new and prints the same figures', async () => {
    const first = await box.json<Daily>('costs', 'daily', '--json', '--tz', 'UTC', '--agent', 'claude-code', '--agent', 'codex', '--no-ingest');
    const again = await box.json<Daily>('costs', 'daily', '--json', '--tz', 'UTC', '--agent', 'claude-code', '--agent', 'codex');
    expect(again.rows).toEqual(first.rows);
    expect(again.warnings.filter((warning) => warning.kind === 'ingest-skipped')).toEqual([]);
  });

  it('agents scan finds both agents with their versions and data roots', async () => {
    const scan = await box.json<{ rows: Array<{ agent: string; installed: boolean | null; version: string | null; paths: string[]; sources: number | null; error: string | null }> }>(
      'agents',
      'scan',
      '--json',
      '--agent',
      'claude-code',
      '--agent',
      'codex',
    );
    expect(scan.rows.map(({ agent, installed, version, paths, error }) => ({ agent, installed, version, paths, error }))).toEqual([
      { agent: 'claude-code', installed: true, version: '2.0.76', paths: [path.join(box.home, '.claude')], error: null },
      { agent: 'codex', installed: true, version: '0.46.0', paths: [path.join(box.home, 'codex-home')], error: null },
    ]);
    for (const row of scan.rows) expect(row.sources).toBeGreaterThan(0);
  });
});
