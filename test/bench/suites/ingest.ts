import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, closeSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kernelPackageRoot } from '../../../kernel/cli/package-root';
import { generateClaudeCodeCorpus } from '../../fixtures/agents/claude-code';
import { generateCodexCorpus } from '../../fixtures/agents/codex';
import { addUsage, ZERO_TOTALS, type ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { seededDraws, type SeededDraws } from '../../fixtures/agents/seeded-draws';
import { snapshotCostUsd } from '../../fixtures/agents/snapshot-prices';
import { compare, type Comparison, type Figure, type SuiteResult } from '../bench-result';
import { elapsedMs, now, summarize } from '../measure';
import { measureProcess, type ProcessRun } from '../process-run';

/**
 * Ingest at scale against ccusage@20.0.24: a ≥ 1 GB Claude Code + Codex corpus written by the
 * fixture generators (`test/fixtures/agents`, scaled up: many calls with their own seeds and
 * first days), then `rimuru-kernel costs daily --json` and `ccusage daily --json --offline`, each
 * a child process as a user runs it, on the same files with the same environment:
 *
 * - cold: our run on an empty data dir (boot, discover, read and price every line, write the
 *   store, report) — ccusage has no store, so each of its runs reads everything;
 * - warm: our run again on the data dir the cold run left (nothing new to read);
 * - after appending 1%: new, complete lines (new API responses / token counts) appended to
 *   existing session files, ~1% of the corpus's bytes, then both again (cumulative: each round
 *   appends another 1%).
 *
 * Wall time from spawn to exit; peak memory = the sum of VmHWM over the process tree (ccusage's
 * npm bin is a Node wrapper that starts its native binary: both count; ours is one process),
 * polled from /proc every 20 ms. Every file is read once before timing so both start from the
 * page cache. The first cold pair's JSON is checked before anything else counts: our tokens per
 * agent equal the generators' totals to the token (cost to a millionth), and ccusage's totals
 * equal ours to the token with the cost within 1%; every later run is checked the same way.
 *
 * The corpus is cached under os.tmpdir() keyed by seed, size and a hash of the generators, so a
 * rerun skips generation (its time is reported separately); appended bytes are cut off again
 * afterwards. `RIMURU_BENCH_INGEST_MB` (default 1024) and `RIMURU_BENCH_INGEST_RUNS` (default 3)
 * scale it down for a quick look.
 */

const SEED = 20_261_121;
const TARGET_MB = Number(process.env.RIMURU_BENCH_INGEST_MB ?? 1024);
const RUNS = Math.max(1, Number(process.env.RIMURU_BENCH_INGEST_RUNS ?? 3));
/** Cold rounds stop at one when three would take longer than this (the whole suite should stay near 10 minutes). */
const COLD_BUDGET_MS = 5 * 60_000;
const APPEND_FRACTION = 0.01;
/** Generator calls take seeds SEED + i (Claude Code) and SEED + 100,000 + i (Codex); appends take these. */
const APPEND_SEED_OFFSET = 900_000;
const FIRST_DAY_MS = Date.UTC(2026, 3, 1);
const DAY_MS = 86_400_000;
const COST_TOLERANCE = 0.01;
/** Bumped when the corpus layout below changes (invalidates cached corpora). */
const LAYOUT_VERSION = 1;

/** The issue's targets, as ratios to ccusage on the same data in the same run. */
export const INGEST_TARGETS = { cold: 1.0, warm: 0.1, append: 0.1, memory: 1.0 } as const;

const ROOT = kernelPackageRoot(__dirname);
const BIN = path.join(ROOT, 'kernel', 'cli', 'bin', 'rimuru-kernel.js');
const CCUSAGE = path.join(ROOT, 'node_modules', '.bin', 'ccusage');
const AGENTS = ['claude-code', 'codex'] as const;
type Agent = (typeof AGENTS)[number];

interface Totals {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  costUsd: number;
}

interface Manifest {
  key: string;
  bytes: number;
  generationMs: number;
  generatorCalls: number;
  expected: Record<Agent, ExpectedUsage>;
  /** Every file of the corpus, relative to the home, with its size as generated. */
  sizes: Record<string, number>;
}

interface Corpus {
  dir: string;
  home: string;
  env: NodeJS.ProcessEnv;
  manifest: Manifest;
  generated: boolean;
}

function fail(what: string, detail: string): never {
  throw new Error(`ingest bench: ${what}: ${detail}`);
}

function mb(bytes: number): number {
  return bytes / (1024 * 1024);
}

// ---------------------------------------------------------------- the corpus

function walk(dir: string, into: string[] = []): string[] {
  if (!existsSync(dir)) return into;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file, into);
    else if (entry.isFile()) into.push(file);
  }
  return into;
}

function generatorHash(): string {
  const hash = createHash('sha256').update(`layout ${LAYOUT_VERSION}`);
  for (const name of ['claude-code', 'codex', 'seeded-draws', 'expected-usage', 'snapshot-prices']) {
    hash.update(readFileSync(require.resolve(`../../fixtures/agents/${name}`)));
  }
  return hash.digest('hex').slice(0, 10);
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function corpusEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, TZ: 'UTC', CLAUDE_CONFIG_DIR: path.join(home, '.claude'), CODEX_HOME: path.join(home, '.codex') };
}

/** Writes the corpus: generator calls, each with its own seed and first day, until the target size is reached. */
function generate(dir: string, key: string): Manifest {
  rmSync(dir, { recursive: true, force: true });
  const home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const began = now();
  const expected: Record<Agent, ExpectedUsage> = { 'claude-code': { ...ZERO_TOTALS }, codex: { ...ZERO_TOTALS } };
  const add = (into: ExpectedUsage, from: ExpectedUsage): void => {
    for (const field of Object.keys(ZERO_TOTALS) as Array<keyof ExpectedUsage>) into[field] += from[field];
  };
  const target = TARGET_MB * 1024 * 1024;
  let bytes = 0;
  let calls = 0;
  while (bytes < target) {
    // Three days apart, each call's sessions spread over the next ~6 days: half a year of history.
    const firstDay = isoDay(FIRST_DAY_MS + ((calls * 3) % 180) * DAY_MS);
    // One real over-long line of each kind in the corpus (skipped by both); small ones elsewhere.
    const hugeLineBytes = calls === 0 ? 9 * 1024 * 1024 : 4 * 1024;
    const claude = generateClaudeCodeCorpus(path.join(home, '.claude'), { seed: SEED + calls, sessionsPerProject: 40, turnsPerSession: 40, hugeLineBytes, firstDay });
    const codex = generateCodexCorpus(path.join(home, '.codex'), { seed: SEED + 100_000 + calls, sessions: 100, turnsPerSession: 40, hugeLineBytes, firstDay });
    add(expected['claude-code'], claude.totals);
    add(expected.codex, codex.totals);
    calls += 1;
    bytes = walk(home).reduce((sum, file) => sum + statSync(file).size, 0);
  }
  const sizes: Record<string, number> = {};
  for (const file of walk(home)) sizes[path.relative(home, file)] = statSync(file).size;
  const manifest: Manifest = { key, bytes, generationMs: elapsedMs(began), generatorCalls: calls, expected, sizes };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return manifest;
}

/** The cached corpus, cut back to its generated sizes (a run that died mid-append), or a new one. */
export function prepareCorpus(): Corpus {
  const key = `${SEED}-${TARGET_MB}mb-${generatorHash()}`;
  const dir = path.join(os.tmpdir(), `rimuru-bench-ingest-${key}`);
  const home = path.join(dir, 'home');
  const manifestFile = path.join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    let intact = manifest.key === key;
    for (const [relative, size] of Object.entries(manifest.sizes)) {
      if (!intact) break;
      const file = path.join(home, relative);
      const actual = existsSync(file) ? statSync(file).size : -1;
      if (actual > size) truncateSync(file, size);
      else if (actual < size) intact = false;
    }
    if (intact && walk(home).length === Object.keys(manifest.sizes).length) return { dir, home, env: corpusEnv(home), manifest, generated: false };
    process.stderr.write('bench ingest: the cached corpus changed; generating it again\n');
  }
  process.stderr.write(`bench ingest: generating a ${TARGET_MB} MB Claude Code + Codex corpus in ${dir}…\n`);
  const manifest = generate(dir, key);
  return { dir, home, env: corpusEnv(home), manifest, generated: true };
}

/** Reads every file once so that neither contender pays for the disk. */
function primePageCache(home: string): void {
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  for (const file of walk(home)) {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

// ---------------------------------------------------------------- appending 1%

interface Appended {
  bytes: number;
  lines: number;
  files: number;
  expected: Record<Agent, ExpectedUsage>;
}

function base62(draws: SeededDraws, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length }, () => alphabet[draws.int(0, 61)]).join('');
}

/** The last line holding `marker` that parses, has a valid timestamp and passes `test` (the corpus has damaged lines of every kind). */
function lastLine(lines: readonly string[], test: (value: Record<string, unknown>) => boolean, marker: string): Record<string, unknown> | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (!line.includes(marker)) continue;
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (typeof value.timestamp === 'string' && Number.isFinite(Date.parse(value.timestamp)) && test(value)) return value;
    } catch {
      // damaged lines are part of the corpus
    }
  }
  return undefined;
}

interface ClaudeUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  service_tier: string;
}

/** New API responses continuing a Claude Code session, as Claude Code writes them (one line each). */
function claudeLines(text: string, draws: SeededDraws, count: number, expected: ExpectedUsage): string[] {
  const last = lastLine(
    text.split('\n'),
    (value) => {
      const message = value.message as { model?: string; usage?: unknown } | undefined;
      return value.type === 'assistant' && typeof value.requestId === 'string' && value.costUSD === undefined && message?.usage !== undefined && message.model !== '<synthetic>';
    },
    '"requestId"',
  );
  if (!last) return [];
  const message = last.message as Record<string, unknown> & { model: string };
  let clock = Date.parse(last.timestamp as string);
  let parent = last.uuid as string;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const cacheWrite = draws.int(0, 4) === 0 ? 0 : draws.int(200, 20_000);
    const usage: ClaudeUsage = {
      input_tokens: draws.int(1, 40),
      cache_creation_input_tokens: cacheWrite,
      cache_read_input_tokens: draws.int(12_000, 150_000),
      cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
      output_tokens: draws.int(20, 3_000),
      service_tier: 'standard',
    };
    clock += draws.int(2_000, 60_000);
    const uuid = draws.uuid();
    lines.push(
      JSON.stringify({
        ...last,
        parentUuid: parent,
        message: { ...message, id: `msg_01${base62(draws, 22)}`, content: [{ type: 'text', text: 'Appended while the benchmark ran.' }], usage },
        requestId: `req_011C${base62(draws, 18)}`,
        uuid,
        timestamp: new Date(clock).toISOString(),
      }),
    );
    parent = uuid;
    const tokens = { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, cacheWriteTokens: cacheWrite, cacheReadTokens: usage.cache_read_input_tokens };
    addUsage(expected, { ...tokens, reasoningTokens: 0, costUsd: snapshotCostUsd(message.model, tokens) });
  }
  return lines;
}

interface CodexTokens {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}

/** New turns' token counts continuing a Codex rollout (cumulative totals carried on). */
function codexLines(text: string, draws: SeededDraws, count: number, expected: ExpectedUsage): string[] {
  const lines = text.split('\n');
  const last = lastLine(
    lines,
    (value) => {
      const info = (value.payload as { info?: { total_token_usage?: unknown; last_token_usage?: unknown } } | undefined)?.info;
      return value.type === 'event_msg' && info?.total_token_usage !== undefined && info.last_token_usage !== undefined;
    },
    '"token_count"',
  );
  const context = lastLine(lines, (value) => value.type === 'turn_context' && typeof (value.payload as { model?: unknown }).model === 'string', '"turn_context"');
  if (!last || !context) return [];
  const model = (context.payload as { model: string }).model;
  const payload = last.payload as { info: { total_token_usage: CodexTokens } };
  const total = { ...payload.info.total_token_usage };
  let clock = Date.parse(last.timestamp as string);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const input = draws.int(8_000, 120_000);
    const output = draws.int(80, 4_000);
    const turn: CodexTokens = {
      input_tokens: input,
      cached_input_tokens: Math.floor(input * (0.6 + draws.random() * 0.35)),
      output_tokens: output,
      reasoning_output_tokens: Math.floor(output * draws.random() * 0.7),
      total_tokens: input + output,
    };
    for (const field of Object.keys(total) as Array<keyof CodexTokens>) total[field] += turn[field];
    clock += draws.int(2_000, 40_000);
    out.push(
      JSON.stringify({
        timestamp: new Date(clock).toISOString(),
        type: 'event_msg',
        payload: {
          type: 'token_count',
          info: { total_token_usage: { ...total }, last_token_usage: turn, model_context_window: 272_000 },
          rate_limits: { primary: { used_percent: draws.int(1, 90), window_minutes: 300, resets_at: Math.floor(clock / 1000) + 3_600 }, secondary: null },
        },
      }),
    );
    const tokens = { inputTokens: input - turn.cached_input_tokens, outputTokens: output, cacheWriteTokens: 0, cacheReadTokens: turn.cached_input_tokens };
    addUsage(expected, { ...tokens, reasoningTokens: turn.reasoning_output_tokens, costUsd: snapshotCostUsd(model, tokens) });
  }
  return out;
}

/**
 * Appends about 1% of the corpus's bytes as new complete lines to session files in a seeded
 * order (Claude Code main-session logs and Codex rollouts that end with a complete line).
 */
export function appendOnePercent(corpus: Corpus, round: number, touched: Set<string>): Appended {
  // A seed no generator call uses: the same stream would repeat message ids already in the corpus.
  const draws = seededDraws(SEED + APPEND_SEED_OFFSET + round);
  const files = Object.keys(corpus.manifest.sizes)
    .filter((relative) => relative.endsWith('.jsonl') && !relative.includes(`${path.sep}subagents${path.sep}`))
    .sort();
  for (let i = files.length - 1; i > 0; i--) {
    const j = draws.int(0, i);
    [files[i], files[j]] = [files[j] as string, files[i] as string];
  }
  const target = corpus.manifest.bytes * APPEND_FRACTION;
  const result: Appended = { bytes: 0, lines: 0, files: 0, expected: { 'claude-code': { ...ZERO_TOTALS }, codex: { ...ZERO_TOTALS } } };
  for (const relative of files) {
    if (result.bytes >= target) break;
    const file = path.join(corpus.home, relative);
    const text = readFileSync(file, 'utf8');
    if (!text.endsWith('\n')) continue; // a session still being written: its last line is not complete
    const agent: Agent = relative.startsWith(`.claude${path.sep}`) ? 'claude-code' : 'codex';
    const lines = agent === 'claude-code' ? claudeLines(text, draws, 6, result.expected[agent]) : codexLines(text, draws, 12, result.expected[agent]);
    if (lines.length === 0) continue;
    const chunk = `${lines.join('\n')}\n`;
    appendFileSync(file, chunk);
    touched.add(relative);
    result.bytes += Buffer.byteLength(chunk);
    result.lines += lines.length;
    result.files += 1;
  }
  return result;
}

export function restoreCorpus(corpus: Corpus, touched: Set<string>): void {
  for (const relative of touched) truncateSync(path.join(corpus.home, relative), corpus.manifest.sizes[relative] as number);
  touched.clear();
}

// ---------------------------------------------------------------- running and measuring

type Run = ProcessRun;

const OUR_ARGS = ['costs', 'daily', '--json', '--tz', 'UTC', '--agent', 'claude-code', '--agent', 'codex'];
const CCUSAGE_ARGS = ['daily', '--json', '--offline', '--timezone', 'UTC'];

export function runOurs(corpus: Corpus, dataDir: string): Promise<Run> {
  // The bin's code cache goes beside the corpus, not into its home: a file there would make the
  // next run find the cached corpus changed and generate it again.
  return measureProcess(BIN, OUR_ARGS, { ...corpus.env, RIMURU_DATA_DIR: dataDir, RIMURU_LOG_LEVEL: 'warn', XDG_CACHE_HOME: path.join(corpus.dir, 'cache') }, corpus.home);
}

export function runCcusage(corpus: Corpus): Promise<Run> {
  return measureProcess(CCUSAGE, CCUSAGE_ARGS, corpus.env, corpus.home);
}

// ---------------------------------------------------------------- checking the figures

interface OurDaily {
  rows: Array<{ agents: Array<{ agent: string } & Totals> }>;
  totals: Totals;
}
interface CcDaily {
  totals: { inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number; totalTokens: number; totalCost: number };
}

function tokensOf(totals: Totals): Omit<Totals, 'costUsd'> {
  const { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens } = totals;
  return { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens };
}

function expectSame(what: string, actual: object, expected: object): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) fail(what, `got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

/**
 * Ours per agent against the generators' totals (tokens exact, cost to a millionth), and
 * ccusage's totals against ours: tokens exact (its outputTokens include Codex reasoning, its
 * inputTokens are uncached, as ours), cost within 1%.
 */
function check(what: string, ourRun: Run, ccRun: Run, expected: Record<Agent, ExpectedUsage>): void {
  const ours = JSON.parse(ourRun.stdout) as OurDaily;
  for (const agent of AGENTS) {
    const rows = ours.rows.flatMap((row) => row.agents.filter((entry) => entry.agent === agent));
    const sum = (pick: (row: Totals) => number): number => rows.reduce((total, row) => total + pick(row), 0);
    const totals: Totals = {
      inputTokens: sum((r) => r.inputTokens),
      outputTokens: sum((r) => r.outputTokens),
      cacheWriteTokens: sum((r) => r.cacheWriteTokens),
      cacheReadTokens: sum((r) => r.cacheReadTokens),
      totalTokens: sum((r) => r.totalTokens),
      costUsd: sum((r) => r.costUsd),
    };
    const want = expected[agent];
    expectSame(`${what}: our ${agent} tokens against the generators'`, tokensOf(totals), tokensOf(want));
    if (Math.abs(totals.costUsd - want.costUsd) > 1e-6 * want.costUsd) fail(`${what}: our ${agent} cost`, `got ${totals.costUsd}, the generators' ${want.costUsd}`);
  }
  const cc = (JSON.parse(ccRun.stdout) as CcDaily).totals;
  const theirs = { inputTokens: cc.inputTokens, outputTokens: cc.outputTokens, cacheWriteTokens: cc.cacheCreationTokens, cacheReadTokens: cc.cacheReadTokens, totalTokens: cc.totalTokens };
  expectSame(`${what}: ccusage's tokens against ours`, theirs, tokensOf(ours.totals));
  if (Math.abs(cc.totalCost - ours.totals.costUsd) > COST_TOLERANCE * cc.totalCost) fail(`${what}: cost`, `ours ${ours.totals.costUsd}, ccusage ${cc.totalCost} (over 1% apart)`);
}

function plus(a: Record<Agent, ExpectedUsage>, b: Record<Agent, ExpectedUsage>): Record<Agent, ExpectedUsage> {
  const sum = (x: ExpectedUsage, y: ExpectedUsage): ExpectedUsage => {
    const out = { ...x };
    for (const field of Object.keys(ZERO_TOTALS) as Array<keyof ExpectedUsage>) out[field] += y[field];
    return out;
  };
  return { 'claude-code': sum(a['claude-code'], b['claude-code']), codex: sum(a.codex, b.codex) };
}

// ---------------------------------------------------------------- the suite

function verdict(ratio: number, target: number): string {
  return `target ≤ ${target}×: ${ratio <= target ? 'met' : 'NOT met'}`;
}

function phaseComparisons(phase: 'cold' | 'warm' | 'append', title: string, ours: Run[], theirs: Run[], note: string): Comparison[] {
  const time = compare({
    id: `ingest.${phase}`,
    label: title,
    unit: 'ms',
    ours: summarize(ours.map((run) => run.wallMs)),
    baselineLabel: `ccusage ${CCUSAGE_ARGS.join(' ')} on the same files`,
    baseline: summarize(theirs.map((run) => run.wallMs)),
  });
  const memory = compare({
    id: `ingest.${phase}.memory`,
    label: `${title}: peak memory (process tree, VmHWM)`,
    unit: 'MB',
    ours: summarize(ours.map((run) => run.peakMb)),
    baselineLabel: 'ccusage (Node wrapper + native binary)',
    baseline: summarize(theirs.map((run) => run.peakMb)),
  });
  time.note = `${note}; ${verdict(time.ratio, INGEST_TARGETS[phase])}`;
  const worstOurs = Math.max(...ours.map((run) => run.peakMb));
  const bestTheirs = Math.min(...theirs.map((run) => run.peakMb));
  memory.note = `largest of ours ${worstOurs.toFixed(0)} MB, smallest of ccusage ${bestTheirs.toFixed(0)} MB (its native binary alone: ${summarize(theirs.map((run) => run.largestMb)).median.toFixed(0)} MB); ${verdict(memory.ratio, INGEST_TARGETS.memory)}`;
  return [time, memory];
}

export async function ingest(): Promise<SuiteResult> {
  const began = now();
  if (!existsSync('/proc/self/status')) fail('setup', 'peak memory is read from /proc, which this system does not have');
  const corpus = prepareCorpus();
  const { manifest } = corpus;
  const files = Object.keys(manifest.sizes).length;
  process.stderr.write(
    `bench ingest: ${mb(manifest.bytes).toFixed(0)} MB in ${files.toLocaleString('en-US')} files, ` +
      `${(manifest.expected['claude-code'].records + manifest.expected.codex.records).toLocaleString('en-US')} usage records` +
      `${corpus.generated ? `, generated in ${(manifest.generationMs / 1000).toFixed(1)} s` : ' (cached)'}\n`,
  );
  const primeStart = now();
  primePageCache(corpus.home);
  const primeMs = elapsedMs(primeStart);

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'rimuru-bench-ingest-data-'));
  const dataDir = path.join(workDir, 'data');
  const touched = new Set<string>();
  const cold = { ours: [] as Run[], theirs: [] as Run[] };
  const warm = { ours: [] as Run[], theirs: [] as Run[] };
  const append = { ours: [] as Run[], theirs: [] as Run[] };
  const appended: Appended[] = [];
  let coldRounds = RUNS;
  try {
    for (let round = 0; round < coldRounds; round++) {
      rmSync(dataDir, { recursive: true, force: true });
      process.stderr.write(`bench ingest: cold ${round + 1}/${coldRounds}…\n`);
      cold.ours.push(await runOurs(corpus, dataDir));
      cold.theirs.push(await runCcusage(corpus));
      check(`cold run ${round + 1}`, cold.ours[round] as Run, cold.theirs[round] as Run, manifest.expected);
      if (round === 0 && coldRounds > 1 && (cold.ours[0] as Run).wallMs * coldRounds > COLD_BUDGET_MS) {
        coldRounds = 1;
        process.stderr.write(`bench ingest: one cold run took ${((cold.ours[0] as Run).wallMs / 1000).toFixed(0)} s: one cold round only\n`);
      }
    }
    for (let round = 0; round < RUNS; round++) {
      process.stderr.write(`bench ingest: warm ${round + 1}/${RUNS}…\n`);
      warm.ours.push(await runOurs(corpus, dataDir));
      warm.theirs.push(await runCcusage(corpus));
      check(`warm run ${round + 1}`, warm.ours[round] as Run, warm.theirs[round] as Run, manifest.expected);
    }
    let expected = manifest.expected;
    for (let round = 0; round < RUNS; round++) {
      const added = appendOnePercent(corpus, round, touched);
      appended.push(added);
      expected = plus(expected, added.expected);
      primePageCache(corpus.home);
      process.stderr.write(`bench ingest: after appending 1% (${added.lines} lines, ${mb(added.bytes).toFixed(1)} MB to ${added.files} files), ${round + 1}/${RUNS}…\n`);
      append.ours.push(await runOurs(corpus, dataDir));
      append.theirs.push(await runCcusage(corpus));
      check(`after append ${round + 1}`, append.ours[round] as Run, append.theirs[round] as Run, expected);
    }
  } finally {
    restoreCorpus(corpus, touched);
    rmSync(workDir, { recursive: true, force: true });
  }

  const size = `${mb(manifest.bytes).toFixed(0)} MB Claude Code + Codex`;
  const comparisons = [
    ...phaseComparisons('cold', `cold costs daily --json, empty data dir (${size})`, cold.ours, cold.theirs, `${cold.ours.length} run(s) each, ours then ccusage`),
    ...phaseComparisons('warm', 'warm: the same again, nothing new', warm.ours, warm.theirs, `${RUNS} runs each`),
    ...phaseComparisons(
      'append',
      'after appending 1% new lines to existing files',
      append.ours,
      append.theirs,
      `${RUNS} rounds, each appending ~1% more (${appended.map((a) => `${a.lines.toLocaleString('en-US')} lines / ${mb(a.bytes).toFixed(1)} MB`).join(', ')})`,
    ),
  ];
  const figures: Figure[] = [
    { id: 'ingest.corpus-mb', label: `corpus: ${files.toLocaleString('en-US')} files, ${(manifest.expected['claude-code'].records + manifest.expected.codex.records).toLocaleString('en-US')} usage records, MB`, unit: 'MB', value: mb(manifest.bytes) },
    {
      id: 'ingest.generation',
      label: corpus.generated ? `corpus generation (${manifest.generatorCalls} calls of each generator), this run` : `corpus generation when it was cached (${manifest.generatorCalls} calls of each generator); this run reused it`,
      unit: 'ms',
      value: manifest.generationMs,
    },
    { id: 'ingest.prime', label: 'reading every file once before timing (page cache)', unit: 'ms', value: primeMs },
    { id: 'ingest.cold.records-per-s', label: 'our cold run: usage records / wall time', unit: 'events/s', value: (manifest.expected['claude-code'].records + manifest.expected.codex.records) / (summarize(cold.ours.map((run) => run.wallMs)).median / 1000) },
  ];
  return {
    suite: 'ingest',
    title: `Ingest: ${size} (${files.toLocaleString('en-US')} files) against ccusage@20.0.24`,
    comparisons,
    figures,
    durationMs: elapsedMs(began),
  };
}

