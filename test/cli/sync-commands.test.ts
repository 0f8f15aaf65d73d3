/**
 * The sync and models commands through the real `rimuru-kernel` bin (dist/, built by `npm
 * test`'s build step), against real servers on 127.0.0.1 in each source's shape: a report
 * that priced an unknown model at $0 prices it after `sync run`, and keys never show.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { calculateCost } from '../../kernel/services/pricing';
import { ANTHROPIC_KEY, GOOGLE_KEY, NEW_MODEL, OPENAI_KEY, startProviderServer, type ProviderServer, type Route } from '../plugins/sync-providers/provider-server';
import { createReportSandbox, type ReportSandbox } from './reports/report-cli';
import { seedStore, type StoredRecord } from './reports/report-store';

const ROUTES: Route[] = ['litellm', 'openrouter', 'anthropic', 'openai', 'google'];
const CONFIG_KEY = 'sk-openai-config-key-5566778899';

interface ModelRow {
  model: string;
  costUsd: number;
  totalTokens: number;
}

function rowsOf(report: Record<string, unknown>): ModelRow[] {
  const rows = (report.rows ?? report.models) as ModelRow[] | undefined;
  if (!Array.isArray(rows)) throw new Error(`no rows in ${JSON.stringify(report).slice(0, 300)}`);
  return rows;
}

describe('rimuru-kernel sync and models', () => {
  let server: ProviderServer;
  let cli: ReportSandbox;
  const records: StoredRecord[] = [1, 2, 3].map((i) => ({
    key: `new-${i}`,
    agent: 'claude-code',
    session: 's1',
    model: NEW_MODEL,
    at: `2026-10-0${i}T12:00:00.000Z`,
    input: 1_000 * i,
    output: 300 * i,
    cacheWrite: 2_000,
    cacheRead: 10_000,
    cost: 0,
  }));

  beforeAll(async () => {
    server = await startProviderServer();
    // A wrong Anthropic key the server echoes back in its 401; OpenAI's key only in the config.
    cli = await createReportSandbox({ ANTHROPIC_API_KEY: 'sk-ant-env-secret-44332211', GEMINI_API_KEY: GOOGLE_KEY });
    const providers: Record<string, { baseUrl: string; apiKey?: string }> = Object.fromEntries(ROUTES.map((route) => [route, { baseUrl: server.baseUrl(route) }]));
    providers.openai = { baseUrl: server.baseUrl('openai'), apiKey: CONFIG_KEY };
    await writeFile(path.join(cli.home, 'rimuru.config.json'), JSON.stringify({ sync: { timeoutMs: 3_000, retry: { attempts: 1 }, providers } }));
    await seedStore(cli.dataDir, {
      sessions: [{ agent: 'claude-code', externalId: 's1', startedAt: '2026-10-01T11:00:00.000Z', endedAt: '2026-10-03T13:00:00.000Z' }],
      records,
    });
  });
  afterAll(async () => {
    await server.close();
    await cli.remove();
  });

  it('prices a model the snapshot does not know once a synced source has it: the report before says $0 and warns, after it prices it exactly', async () => {
    const before = await cli.json('costs', 'by-model', '--no-ingest', '--json');
    expect(rowsOf(before).find((row) => row.model === NEW_MODEL)?.costUsd).toBe(0);
    expect(before.warnings).toContainEqual(expect.objectContaining({ kind: 'unknown-model', model: NEW_MODEL }));

    const run = await cli.run('sync', 'run', '--json', '--log-level', 'debug');
    // Anthropic refuses the wrong key and OpenAI's config key differs from the server's: both fail, exit 1.
    expect({ code: run.code, stderr: run.stderr.slice(0, 2000) }).toMatchObject({ code: 1 });
    const report = JSON.parse(run.stdout) as { providers: Array<{ provider: string; status: string; error: { message: string } | null }>; repriced: { records: number; models: string[] } };
    expect(Object.fromEntries(report.providers.map((p) => [p.provider, p.status]))).toEqual({ anthropic: 'failed', google: 'ok', litellm: 'ok', openai: 'failed', openrouter: 'ok' });
    expect(report.repriced).toMatchObject({ records: 3, models: [NEW_MODEL] });

    const after = await cli.json('costs', 'by-model', '--no-ingest', '--json');
    const prices = { inputPrice: 2e-6, outputPrice: 1e-5, cacheWritePrice: 2.5e-6, cacheReadPrice: 2e-7, cacheWrite1hPrice: null, inputPriceAbove200k: null, outputPriceAbove200k: null, cacheWritePriceAbove200k: null, cacheWrite1hPriceAbove200k: null, cacheReadPriceAbove200k: null, fastMultiplier: null };
    const expected = records.reduce((sum, r) => sum + calculateCost({ model: r.model, inputTokens: r.input, outputTokens: r.output, cacheWriteTokens: r.cacheWrite ?? 0, cacheReadTokens: r.cacheRead ?? 0 }, prices), 0);
    expect(rowsOf(after).find((row) => row.model === NEW_MODEL)?.costUsd).toBeCloseTo(expected, 9);
    expect(after.warnings).not.toContainEqual(expect.objectContaining({ kind: 'unknown-model', model: NEW_MODEL }));

    // And every later view agrees.
    const pricing = await cli.json<{ prices: Array<{ field: string; value: number | null; source: string | null }>; contextWindow: { value: number; source: string } }>('models', 'pricing', NEW_MODEL, '--json');
    expect(pricing.prices.find((line) => line.field === 'inputPrice')).toEqual({ kind: 'input', field: 'inputPrice', value: 2e-6, source: 'litellm', fallback: null });
    expect(pricing.prices.find((line) => line.field === 'cacheWrite1hPrice')).toMatchObject({ value: null, source: null, fallback: '2 × input' });
    expect(pricing.contextWindow).toEqual({ value: 300_000, source: 'litellm' });
  });

  it('status, history, models list/search and plugin info: readable, with no key anywhere', async () => {
    const outputs: string[] = [];
    const status = await cli.run('sync', 'status', '--json');
    outputs.push(status.stdout, status.stderr);
    const rows = (JSON.parse(status.stdout) as { providers: Array<{ provider: string; key: string; lastRun: { status: string } | null }> }).providers;
    expect(Object.fromEntries(rows.map((row) => [row.provider, row.key]))).toEqual({ anthropic: '$ANTHROPIC_API_KEY', google: '$GEMINI_API_KEY', litellm: '-', openai: 'config', openrouter: 'none' });
    for (const args of [
      ['sync', 'status'],
      ['sync', 'history'],
      ['sync', 'history', '--json', '--provider', 'anthropic'],
      ['models', 'list', '--provider', 'openrouter'],
      ['models', 'search', 'zeta 2', '--json'],
      ['plugin', 'info', '@rimuru/sync-anthropic', '--json'],
      ['plugin', 'info', '@rimuru/sync-openai'],
      ['sync', 'run', '--provider', 'anthropic', '--log-level', 'trace'],
    ]) {
      const result = await cli.run(...args);
      outputs.push(result.stdout, result.stderr);
      if (args[0] !== 'sync' || args[1] !== 'run') expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    const all = outputs.join('\n');
    expect(all).toContain('mistralai/mistral-zeta-2');
    expect(all).toContain('the API key was refused');
    for (const key of ['sk-ant-env-secret-44332211', CONFIG_KEY, GOOGLE_KEY]) expect({ key, shown: all.includes(key) }).toEqual({ key, shown: false });
    // The keys the server wants were never in play: the two failures are the keys' own.
    expect(all).not.toContain(ANTHROPIC_KEY);
    expect(all).not.toContain(OPENAI_KEY);
  });

  it('names unknown providers and models with a code and exit 1', async () => {
    const provider = await cli.run('sync', 'run', '--provider', 'nope');
    expect(provider).toMatchObject({ code: 1, stderr: expect.stringContaining('E8002 no sync provider named "nope"') });
    const model = await cli.run('models', 'pricing', 'no-such-model-at-all');
    expect(model).toMatchObject({ code: 1, stderr: expect.stringContaining('E8005 no price for "no-such-model-at-all"') });
  });
});
