import { spawn } from 'node:child_process';
import path from 'node:path';
import { generateClaudeCodeCorpus } from '../fixtures/agents/claude-code';
import { generateCodexCorpus } from '../fixtures/agents/codex';
import { writeCopilotFixture, type CopilotFixture } from '../fixtures/agents/copilot';
import type { AgentFixture } from '../fixtures/agents/expected-usage';
import { writeGooseFixture } from '../fixtures/agents/goose';
import { writeOpenCodeFixture } from '../fixtures/agents/opencode';
import { createReportSandbox, type ReportSandbox } from '../cli/reports/report-cli';

/**
 * The differential check against ccusage@20.0.24 (a devDependency; its npm bin starts the
 * native binary of this platform): the seeded corpora of Claude Code, Codex, OpenCode, Goose and
 * Copilot CLI in one temp home, each where its generator's environment points
 * (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `XDG_DATA_HOME`, `GOOSE_PATH_ROOT`, `~/.copilot` plus
 * `COPILOT_OTEL_FILE_EXPORTER_PATH`); `ccusage daily --json --offline --timezone UTC --by-agent`
 * and our `costs daily --json --tz UTC --agent <type>` read the same files with the same
 * environment. Per agent, the four token kinds and the total must be equal (per UTC day as well,
 * where no documented difference applies), and the costs within 1%.
 *
 * ccusage's fields map onto ours as follows (see each agent below for what differs):
 * - `inputTokens` is uncached input on both sides (ccusage's Codex reader subtracts
 *   `cached_input_tokens`, as ours does; Copilot's `inputTokens − cacheRead − cacheWrite`);
 * - `cacheCreationTokens` → `cacheWriteTokens`, `cacheReadTokens` → `cacheReadTokens`;
 * - `outputTokens`: ours includes reasoning (the contract: `reasoningTokens` is part of output).
 *   ccusage's Codex and Copilot `outputTokens` include it too (`reasoningOutputTokens` is a
 *   breakdown), but its OpenCode `outputTokens` leaves reasoning out and adds it to
 *   `totalTokens` only. So ccusage's output is taken as `outputTokens + (totalTokens − the four
 *   kinds)`: the extra is OpenCode's reasoning and 0 for every other agent (asserted);
 * - `totalTokens` = input + output + cache write + cache read on both sides.
 *
 * Deliberate differences (README, "Differences from ccusage") are excluded explicitly:
 * - Goose: ccusage always prices Goose's tokens; Rimuru's `auto` mode takes the session's own
 *   `accumulated_cost`. The costs are compared with `--mode calculate`.
 * - Models the price snapshot does not know cost $0 here (with an `unknown-model` warning);
 *   ccusage's own price list prices some (OpenCode's `qwen3-coder:30b`). Costs are compared
 *   without those models on both sides.
 * - Copilot: a session whose counters restarted on resume (documented in the adapter's README)
 *   is left out, and in OTel chat spans ccusage 20.0.24 subtracts only cache reads from
 *   `gen_ai.usage.input_tokens` (we subtract reads and writes, as for session-state): for the
 *   sessions counted from OTel, ccusage's input is our input plus our cache writes, and their
 *   cost (the writes priced as input there) is left out.
 */

const CCUSAGE = path.resolve(__dirname, '../../node_modules/.bin/ccusage');
const AGENTS = ['claude-code', 'codex', 'opencode', 'goose', 'copilot'] as const;
type Agent = (typeof AGENTS)[number];
/** ccusage's name for each agent in `--by-agent` rows. */
const CCUSAGE_AGENT: Record<Agent, string> = { 'claude-code': 'claude', codex: 'codex', opencode: 'opencode', goose: 'goose', copilot: 'copilot' };
const COST_TOLERANCE = 0.01;

interface Tokens {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
}
interface OurTotals extends Tokens {
  reasoningTokens: number;
  costUsd: number;
}
interface OurDaily {
  rows: Array<{ period: string } & OurTotals>;
  totals: OurTotals;
  warnings: Array<{ kind: string; model?: string; message: string }>;
}
interface OurSessions {
  rows: Array<{ sessionId: string } & OurTotals>;
}
interface CcModel {
  modelName: string;
  cost: number;
}
interface CcRow {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  totalCost: number;
  modelBreakdowns?: CcModel[];
}
interface CcUnified {
  daily: Array<{ period: string; agents: Array<{ agent: string } & CcRow> }>;
}
interface CcSessions {
  sessions: Array<{ sessionId: string } & CcRow>;
}
interface CcCodexDaily {
  daily: Array<{ date: string; reasoningOutputTokens: number }>;
}

/** ccusage's token figures in our terms (see the mapping above); `extra` is what its output left out. */
function ccTokens(row: CcRow): Tokens & { extra: number } {
  const four = row.inputTokens + row.outputTokens + row.cacheCreationTokens + row.cacheReadTokens;
  const extra = row.totalTokens - four;
  return {
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens + extra,
    cacheWriteTokens: row.cacheCreationTokens,
    cacheReadTokens: row.cacheReadTokens,
    totalTokens: row.totalTokens,
    extra,
  };
}

function ourTokens(totals: Tokens): Tokens {
  const { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens } = totals;
  return { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens };
}

function sumRows<T>(rows: readonly T[], pick: (row: T) => number): number {
  return rows.reduce((sum, row) => sum + pick(row), 0);
}

function minus<T extends Tokens & { costUsd: number }>(a: T, b: Tokens & { costUsd: number }): T {
  return {
    ...a,
    costUsd: a.costUsd - b.costUsd,
    inputTokens: a.inputTokens - b.inputTokens,
    outputTokens: a.outputTokens - b.outputTokens,
    cacheWriteTokens: a.cacheWriteTokens - b.cacheWriteTokens,
    cacheReadTokens: a.cacheReadTokens - b.cacheReadTokens,
    totalTokens: a.totalTokens - b.totalTokens,
  };
}

function runCcusage(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(CCUSAGE, args, { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ccusage ${args.join(' ')} exited ${code}:\n${stderr}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`ccusage ${args.join(' ')} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Each generator's environment, merged: they must not disagree on a variable. */
function mergedEnv(fixtures: readonly AgentFixture[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const fixture of fixtures) {
    for (const [name, value] of Object.entries(fixture.env)) {
      if (env[name] !== undefined && env[name] !== value) throw new Error(`${fixture.agentType} wants ${name}=${value}, another generator ${env[name]}`);
      env[name] = value;
    }
  }
  return env;
}

let box: ReportSandbox;
let fixtures: Record<Agent, AgentFixture>;
let copilot: CopilotFixture;
const ours = {} as Record<Agent, OurDaily>;
let ourGooseCalculated: OurDaily;
let ourCopilotSessions: OurSessions;
let cc: CcUnified;
let ccCodex: CcCodexDaily;
let ccCopilotSessions: CcSessions;

beforeAll(async () => {
  box = await createReportSandbox();
  const home = box.home;
  copilot = writeCopilotFixture(home);
  fixtures = {
    'claude-code': generateClaudeCodeCorpus(path.join(home, '.claude')),
    codex: generateCodexCorpus(path.join(home, '.codex')),
    opencode: writeOpenCodeFixture(home, { xdgDataHome: path.join(home, 'xdg-data') }),
    goose: writeGooseFixture(home, { goosePathRoot: path.join(home, 'goose-root') }),
    copilot,
  };
  // The same environment for both: the generators' variables over a bare PATH, HOME and TZ.
  Object.assign(box.env, mergedEnv(Object.values(fixtures)));
  expect(box.env.HOME).toBe(home);

  const ccArgs = ['--json', '--offline', '--timezone', 'UTC'];
  [cc, ccCodex, ccCopilotSessions] = (await Promise.all([
    runCcusage(['daily', ...ccArgs, '--by-agent'], box.env, home),
    runCcusage(['codex', 'daily', ...ccArgs], box.env, home),
    runCcusage(['copilot', 'session', ...ccArgs], box.env, home),
  ])) as [CcUnified, CcCodexDaily, CcSessions];

  for (const agent of AGENTS) ours[agent] = await box.json<OurDaily>('costs', 'daily', '--json', '--tz', 'UTC', '--agent', agent);
  ourGooseCalculated = await box.json<OurDaily>('costs', 'daily', '--json', '--tz', 'UTC', '--agent', 'goose', '--mode', 'calculate', '--no-ingest');
  ourCopilotSessions = await box.json<OurSessions>('costs', 'session', '--json', '--tz', 'UTC', '--agent', 'copilot', '--no-ingest');
}, 180_000);
afterAll(() => box?.remove());

/** ccusage's rows of one agent, by UTC day. */
function ccDays(agent: Agent): Map<string, CcRow> {
  const days = new Map<string, CcRow>();
  for (const day of cc.daily) {
    const row = day.agents.find((candidate) => candidate.agent === CCUSAGE_AGENT[agent]);
    if (row) days.set(day.period, row);
  }
  return days;
}

function ccTotals(agent: Agent): Tokens & { extra: number; costUsd: number; costByModel: Map<string, number> } {
  const rows = [...ccDays(agent).values()];
  const costByModel = new Map<string, number>();
  for (const model of rows.flatMap((row) => row.modelBreakdowns ?? [])) costByModel.set(model.modelName, (costByModel.get(model.modelName) ?? 0) + model.cost);
  const tokens = rows.map(ccTokens);
  return {
    inputTokens: sumRows(tokens, (t) => t.inputTokens),
    outputTokens: sumRows(tokens, (t) => t.outputTokens),
    cacheWriteTokens: sumRows(tokens, (t) => t.cacheWriteTokens),
    cacheReadTokens: sumRows(tokens, (t) => t.cacheReadTokens),
    totalTokens: sumRows(tokens, (t) => t.totalTokens),
    extra: sumRows(tokens, (t) => t.extra),
    costUsd: sumRows(rows, (row) => row.totalCost),
    costByModel,
  };
}

/** Models we priced at $0 for want of a price: their cost is left out of the comparison on both sides. */
function unknownModels(agent: Agent): string[] {
  return ours[agent].warnings.filter((warning) => warning.kind === 'unknown-model').map((warning) => warning.model as string);
}

function expectCostWithin(agent: string, ourCost: number, theirCost: number): void {
  const relative = Math.abs(ourCost - theirCost) / Math.max(Math.abs(theirCost), 1e-12);
  expect({ agent, ours: ourCost, ccusage: theirCost, within1pc: relative <= COST_TOLERANCE }).toEqual({ agent, ours: ourCost, ccusage: theirCost, within1pc: true });
}

describe('differential check against ccusage@20.0.24 on the generated corpora', () => {
  it('ccusage finds every agent, and our reports equal the generators’ totals', () => {
    for (const agent of AGENTS) {
      expect({ agent, ccusageDays: ccDays(agent).size > 0 }).toEqual({ agent, ccusageDays: true });
      expect({ agent, tokens: ourTokens(ours[agent].totals) }).toEqual({ agent, tokens: ourTokens(fixtures[agent].totals) });
    }
  });

  it.each(['claude-code', 'codex', 'opencode', 'goose'] as const)('%s: token totals equal, per UTC day too', (agent) => {
    const theirs = ccTotals(agent);
    // Reasoning ccusage leaves out of outputTokens: OpenCode's only.
    expect({ agent, extra: theirs.extra }).toEqual({ agent, extra: agent === 'opencode' ? ours[agent].totals.reasoningTokens : 0 });
    const { extra: _extra, costUsd: _cost, costByModel: _models, ...tokens } = theirs;
    expect({ agent, tokens: ourTokens(ours[agent].totals) }).toEqual({ agent, tokens });
    const ourDays = Object.fromEntries(ours[agent].rows.map((row) => [row.period, ourTokens(row)]));
    const theirDays = Object.fromEntries([...ccDays(agent)].map(([day, row]) => {
      const { extra: _e, ...dayTokens } = ccTokens(row);
      return [day, dayTokens];
    }));
    expect({ agent, days: ourDays }).toEqual({ agent, days: theirDays });
  });

  it('codex: reasoning equals ccusage’s reasoningOutputTokens (part of output on both sides)', () => {
    expect(ours.codex.totals.reasoningTokens).toBe(sumRows(ccCodex.daily, (day) => day.reasoningOutputTokens));
    expect(ours.codex.totals.reasoningTokens).toBeGreaterThan(0);
  });

  it.each(['claude-code', 'codex', 'opencode'] as const)('%s: cost within 1% (models without a price in our snapshot left out)', (agent) => {
    const theirs = ccTotals(agent);
    const leftOut = sumRows(unknownModels(agent), (model) => theirs.costByModel.get(model) ?? 0);
    expectCostWithin(agent, ours[agent].totals.costUsd, theirs.costUsd - leftOut);
  });

  it('goose: cost within 1% with --mode calculate (ccusage prices Goose’s tokens and ignores accumulated_cost)', () => {
    const theirs = ccTotals('goose');
    const leftOut = sumRows(unknownModels('goose'), (model) => theirs.costByModel.get(model) ?? 0);
    expect(ourTokens(ourGooseCalculated.totals)).toEqual(ourTokens(ours.goose.totals));
    expectCostWithin('goose (calculate)', ourGooseCalculated.totals.costUsd, theirs.costUsd - leftOut);
  });

  it('copilot: token totals equal and cost within 1%, the restarted session left out and OTel input mapped', () => {
    const ourSession = (id: string) => {
      const row = ourCopilotSessions.rows.find((candidate) => candidate.sessionId === id || candidate.sessionId.endsWith(`:${id}`));
      if (!row) throw new Error(`our session report has no Copilot session ${id}`);
      return row;
    };
    const ccSession = (id: string) => {
      const row = ccCopilotSessions.sessions.find((candidate) => candidate.sessionId === id);
      if (!row) throw new Error(`ccusage's session report has no Copilot session ${id}`);
      return { ...ccTokens(row), costUsd: row.totalCost };
    };
    const { restarted, otelOnly } = copilot.notable;

    // Every counted session on both sides, and the two session reports add up to the daily ones.
    expect(ourCopilotSessions.rows.map((row) => row.sessionId.replace(/^copilot:/, '')).sort()).toEqual(ccCopilotSessions.sessions.map((row) => row.sessionId).sort());
    const theirs = ccTotals('copilot');
    expect(theirs.extra).toBe(0);

    // Left out: the session whose counters restarted (ccusage clamps the smaller shutdown to 0).
    const oursKept = minus(ours.copilot.totals, ourSession(restarted));
    const theirsKept = minus(theirs, ccSession(restarted));
    // OTel-only sessions: ccusage's uncached input still holds the cache writes.
    const otelWrites = sumRows(otelOnly, (id) => ourSession(id).cacheWriteTokens);
    expect(otelWrites).toBeGreaterThan(0);
    const { extra: _extra, costUsd: _cost, costByModel: _models, ...theirTokens } = theirsKept;
    expect(ourTokens({ ...oursKept, inputTokens: oursKept.inputTokens + otelWrites, totalTokens: oursKept.totalTokens + otelWrites })).toEqual(theirTokens);
    for (const id of otelOnly) expect(ccSession(id).inputTokens).toBe(ourSession(id).inputTokens + ourSession(id).cacheWriteTokens);

    const leftOut = sumRows(unknownModels('copilot'), (model) => theirs.costByModel.get(model) ?? 0);
    expect(leftOut).toBe(0);
    expectCostWithin(
      'copilot',
      oursKept.costUsd - sumRows(otelOnly, (id) => ourSession(id).costUsd),
      theirsKept.costUsd - sumRows(otelOnly, (id) => ccSession(id).costUsd),
    );
  });
});
