/**
 * SyncService end to end, on SQLite and PostgreSQL: a kernel running the real sync plugins
 * (bundled from plugins/), pointed by config at real servers on 127.0.0.1 that answer in each
 * source's shape. What lands in the models table, from which source, what a failing source
 * leaves behind (nothing changed), retries, the sandbox refusing another provider's host,
 * re-pricing of records that had no price, and keys kept out of everything.
 */
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../../kernel/config';
import { ErrorCodes } from '../../../kernel/core/errors';
import { Kernel } from '../../../kernel/core/lifecycle';
import { createLogger } from '../../../kernel/core/logging';
import { calculateCost, PricingService } from '../../../kernel/services/pricing';
import { CostAggregator, ModelRepository, refreshUsageRollups, upsertUsageRecords, type Database, type UsageRecordInput } from '../../../kernel/services/storage';
import { SyncService, type SyncRunReport } from '../../../kernel/services/sync';
import { bundlePlugin } from '../../../sandbox/bundler';
import type { SyncConfig } from '../../../sdk/src/config';
import { ANTHROPIC_KEY, GOOGLE_KEY, NEW_MODEL, OPENAI_KEY, startProviderServer, type ProviderServer, type Route } from '../../plugins/sync-providers/provider-server';
import { describeBackends } from '../storage/backends';

const REPO = path.resolve(__dirname, '../../..');
const SYNC_PLUGINS = ['sync-litellm', 'sync-openrouter', 'sync-anthropic', 'sync-openai', 'sync-google'];
const ROUTES: Route[] = ['litellm', 'openrouter', 'anthropic', 'openai', 'google'];
const KEY_ENV = { ANTHROPIC_API_KEY: ANTHROPIC_KEY, OPENAI_API_KEY: OPENAI_KEY, GEMINI_API_KEY: GOOGLE_KEY };

async function install(pluginsDir: string, from: string, name: string): Promise<void> {
  const target = path.join(pluginsDir, name);
  mkdirSync(path.join(target, 'dist'), { recursive: true });
  copyFileSync(path.join(from, name, 'package.json'), path.join(target, 'package.json'));
  writeFileSync(path.join(target, 'dist', 'plugin.js'), (await bundlePlugin(path.join(from, name, 'src', 'plugin.ts'))).code);
}

interface World {
  kernel: Kernel;
  service: SyncService;
  logs: string[];
  waits: number[];
  hooks: Array<{ provider: string; models: number }>;
  close(): Promise<void>;
}

describeBackends('SyncService', (backend) => {
  let dir: string;
  let db: Database;
  let server: ProviderServer;
  let world: World | undefined;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'rimuru-sync-')));
    for (const name of SYNC_PLUGINS) await install(path.join(dir, 'plugins'), path.join(REPO, 'plugins'), name);
    await install(path.join(dir, 'plugins'), path.join(REPO, 'test/fixtures/plugins'), 'sync-other-host');
    db = await backend.connect();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    await backend.reset();
    server = await startProviderServer({ anthropicPageSize: 2 });
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
    await server.close();
  });

  async function boot(options: { sync?: SyncConfig; env?: Record<string, string>; pluginConfig?: Record<string, Record<string, unknown>> } = {}): Promise<World> {
    const providers = Object.fromEntries(ROUTES.map((route) => [route, { baseUrl: server.baseUrl(route) }]));
    const sync: SyncConfig = { timeoutMs: 1_000, retry: { attempts: 3, backoffMs: 100, maxBackoffMs: 5_000 }, ...options.sync, providers: { ...providers, ...options.sync?.providers } };
    const config = resolveConfig({ dataDir: path.join(dir, 'data'), plugins: { dir: path.join(dir, 'user-plugins'), config: options.pluginConfig ?? {} }, sync }, { cwd: dir, env: {}, homeDir: dir });
    const logs: string[] = [];
    const logger = createLogger({ level: 'debug', pretty: false, destination: new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) }) });
    const env = options.env ?? KEY_ENV;
    const kernel = await Kernel.boot({ config, logger, builtinPluginDir: path.join(dir, 'plugins'), env, homeDir: dir, database: db });
    const waits: number[] = [];
    const hooks: Array<{ provider: string; models: number }> = [];
    kernel.hookBus.register({ id: 'test:SyncComplete', owner: 'test', hook: 'SyncComplete', priority: 1, handle: async (payload) => {
        hooks.push(payload as { provider: string; models: number });
        return { type: 'continue' };
      },
    });
    const pricing = await PricingService.open(db, { logger });
    const service = new SyncService({ database: db, host: kernel, config: config.sync, logger, env, pricing, sleep: async (ms) => void waits.push(ms) });
    world = { kernel, service, logs, waits, hooks, close: () => kernel.shutdown('test over') };
    return world;
  }

  const byName = async (provider: string, model: string) => new ModelRepository(db).findByName(model, provider);
  const result = (report: SyncRunReport, provider: string) => report.providers.find((entry) => entry.provider === provider)!;

  it('merges every provider: official names and context windows, priced by the pricing sources, provenance per field', async () => {
    server.data.anthropic[0]!.max_input_tokens = 1_000_000; // the vendor's word beats LiteLLM's 200k
    const { service, hooks } = await boot();
    expect(await service.modelsUpdatedAt()).toBe(0);
    const report = await service.run({ providers: ROUTES });
    expect(report.providers.map((entry) => [entry.provider, entry.status]).sort()).toEqual([
      ['anthropic', 'ok'],
      ['google', 'ok'],
      ['litellm', 'ok'],
      ['openai', 'ok'],
      ['openrouter', 'ok'],
    ]);
    expect(hooks.sort((a, b) => a.provider.localeCompare(b.provider))).toEqual([
      { provider: 'anthropic', models: 3 },
      { provider: 'google', models: 2 },
      { provider: 'litellm', models: 3 },
      { provider: 'openai', models: 2 },
      { provider: 'openrouter', models: 3 },
    ]);

    const sonnet = await byName('anthropic', 'claude-sonnet-4-5');
    expect(sonnet).toMatchObject({ displayName: 'Claude Sonnet 4.5', contextWindow: 1_000_000, inputPrice: 3.5e-6, outputPrice: 1.6e-5, cacheWritePrice: 4.2e-6, source: 'litellm' });
    expect(sonnet?.provenance).toMatchObject({ displayName: 'anthropic', contextWindow: 'anthropic', inputPrice: 'litellm', outputPrice: 'litellm', cacheReadPrice: 'litellm' });
    // LiteLLM's file lists no 1-hour cache price this time: the snapshot's stays, and says so.
    expect(sonnet?.cacheWrite1hPrice).not.toBeNull();
    expect(sonnet?.provenance.cacheWrite1hPrice).toBe('snapshot');

    // Google's gemini-9-pro and LiteLLM's gemini/gemini-9-pro are one model: both spellings carry the merge.
    for (const spelling of ['gemini-9-pro', 'gemini/gemini-9-pro']) {
      const row = await byName('gemini', spelling);
      expect({ spelling, ...row }).toMatchObject({ spelling, displayName: 'Gemini 9 Pro', contextWindow: 2_000_000, inputPrice: 1e-6, provenance: { contextWindow: 'google', inputPrice: 'litellm' } });
    }
    // A vendor's model list names models it does not price: kept, not priced, not a warning.
    expect(await byName('openai', 'gpt-9')).toMatchObject({ source: 'openai', inputPrice: null });
    const pricing = await PricingService.open(db, { seed: false });
    expect(pricing.lookup('gpt-9')).toBeNull();
    expect(pricing.catalog.skipped.filter((entry) => entry.model.includes('gpt-9'))).toEqual([]);
    expect(pricing.lookup(NEW_MODEL)).toMatchObject({ inputPrice: 2e-6, outputPrice: 1e-5, source: 'litellm' });
    expect(pricing.lookup('mistral-zeta-2')).toMatchObject({ inputPrice: 4e-7, provider: 'openrouter', matchedBy: 'normalized' });

    // What a running kernel watches to pick up a sync made elsewhere.
    expect(await service.modelsUpdatedAt()).toBeGreaterThan(0);
    const status = await service.history.latest();
    expect(status.get('litellm')?.last).toMatchObject({ status: 'ok', modelsFetched: 3, attempts: 1, errorCode: null });
    // A second run with the same answers changes nothing.
    expect((await service.run({ providers: ROUTES })).modelsWritten).toBe(0);
  });

  it.each([
    ['a hang (timeout)', { kind: 'hang' } as const, 'no complete response', 3],
    ['a 500', { kind: 'status', status: 500 } as const, 'answered HTTP 500', 3],
    ['malformed JSON', { kind: 'malformed' } as const, 'not valid JSON', 1],
    ['a 50 MB body', { kind: 'huge', bytes: 50 * 1024 * 1024 } as const, 'larger than', 1],
    ['a 429 asking for an hour', { kind: 'status', status: 429, headers: { 'retry-after': '3600' } } as const, 'rate limited', 1],
  ])('%s from LiteLLM: a clear per-provider error, retried when worth it, and the catalog left as it was', async (_label, misbehaviour, says, attempts) => {
    const { service, waits } = await boot({ sync: { maxResponseBytes: 4 * 1024 * 1024 } });
    await service.run({ providers: ['litellm'] });
    const before = await new ModelRepository(db).findAll();
    server.misbehave('litellm', misbehaviour);
    const report = await service.run({ providers: ['litellm'] });
    expect(result(report, 'litellm')).toMatchObject({
      status: misbehaviour.kind === 'status' && misbehaviour.status === 429 ? 'rate-limited' : 'failed',
      attempts,
      error: { code: ErrorCodes.SYNC_FAILED, message: expect.stringContaining(says) },
    });
    expect(result(report, 'litellm').error?.message).toMatch(/^litellm: /);
    expect(waits).toEqual(attempts === 3 ? [100, 200] : []);
    expect(await new ModelRepository(db).findAll()).toEqual(before);
    expect(report.modelsWritten).toBe(0);
  });

  it('retries a 429 after its Retry-After and a 500 after backoff, then syncs', async () => {
    const { service, waits } = await boot();
    server.misbehave('openrouter', { kind: 'status', status: 429, headers: { 'retry-after': '2' } }, 1);
    server.misbehave('litellm', { kind: 'status', status: 503 }, 2);
    const report = await service.run({ providers: ['openrouter', 'litellm'] });
    expect(result(report, 'openrouter')).toMatchObject({ status: 'ok', attempts: 2 });
    expect(result(report, 'litellm')).toMatchObject({ status: 'ok', attempts: 3 });
    expect(waits.sort((a, b) => a - b)).toEqual([100, 200, 2_000]);
  });

  it('keeps to a long Retry-After: the next run does not ask until it passed (unless forced)', async () => {
    let now = Date.UTC(2026, 10, 1);
    const { kernel } = await boot();
    const service = new SyncService({ database: db, host: kernel, config: resolveConfig({ sync: { retry: { maxBackoffMs: 60_000 }, providers: { openrouter: { baseUrl: server.baseUrl('openrouter') } } } }, { cwd: dir, env: {}, homeDir: dir }).sync, now: () => now, sleep: async () => undefined });
    server.misbehave('openrouter', { kind: 'status', status: 429, headers: { 'retry-after': '600' } }, 1);
    expect(result(await service.run({ providers: ['openrouter'] }), 'openrouter')).toMatchObject({ status: 'rate-limited', retryAfterAt: now + 600_000 });
    now += 60_000;
    const asked = server.requests.length;
    expect(result(await service.run({ providers: ['openrouter'] }), 'openrouter')).toMatchObject({ status: 'rate-limited', reason: expect.stringContaining('asked not to be called before') });
    expect(server.requests.length).toBe(asked);
    expect(result(await service.run({ providers: ['openrouter'], force: true }), 'openrouter')).toMatchObject({ status: 'ok' });
  });

  it('a price that is not a number: partial, the model named with its field, its last good price kept', async () => {
    const { service } = await boot();
    await service.run({ providers: ['openrouter'] });
    (server.data.openrouter[1]!.pricing as Record<string, unknown>).prompt = 'NaN';
    (server.data.openrouter[0]!.pricing as Record<string, unknown>).completion = '0.00002';
    const report = await service.run({ providers: ['openrouter'] });
    expect(result(report, 'openrouter')).toMatchObject({ status: 'partial', modelsRejected: 1, rejected: [{ model: 'mistralai/mistral-zeta-2', reason: 'pricing.prompt: "NaN" is not a price' }] });
    expect(await byName('openrouter', 'mistralai/mistral-zeta-2')).toMatchObject({ inputPrice: 4e-7 });
    expect(await byName('openrouter', 'anthropic/claude-sonnet-4.5')).toMatchObject({ outputPrice: 2e-5 });
    expect((await service.history.history({ provider: 'openrouter', limit: 1 }))[0]).toMatchObject({ status: 'partial', modelsRejected: 1, details: { rejected: [{ model: 'mistralai/mistral-zeta-2' }] } });
  });

  it("a plugin reaching for another provider's host is refused by the sandbox (E2004) and that host never asked", async () => {
    const other = await startProviderServer();
    try {
      const { service } = await boot({
        sync: { providers: { other: { baseUrl: server.baseUrl('openrouter') } } },
        pluginConfig: { '@rimuru-fixture/sync-other-host': { otherUrl: `${other.baseUrl('anthropic')}/v1/models` } },
      });
      const report = await service.run({ providers: ['other'] });
      expect(result(report, 'other')).toMatchObject({ status: 'failed', error: { code: ErrorCodes.PERMISSION_DENIED, message: expect.stringContaining(`127.0.0.1:${other.port}`) } });
      expect(server.requests.map((r) => r.route)).toEqual(['openrouter']);
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('a provider without a key is skipped with where to put one; a disabled one is not asked', async () => {
    const { service } = await boot({ env: {}, sync: { providers: { google: { enabled: false } } } });
    const report = await service.run({ providers: ['anthropic', 'google'] });
    expect(result(report, 'anthropic')).toMatchObject({ status: 'skipped', reason: 'no API key: set ANTHROPIC_API_KEY or sync.providers.anthropic.apiKey', attempts: 1 });
    expect(result(report, 'google')).toMatchObject({ status: 'disabled', attempts: 0 });
    expect(server.requests).toEqual([]);
    await expect(service.run({ providers: ['nope'] })).rejects.toMatchObject({ code: ErrorCodes.SYNC_PROVIDER_NOT_FOUND });
  });

  it('keys never reach the logs, the history or the report, even when a server echoes them', async () => {
    const wrong = 'sk-ant-wrong-but-secret-112233';
    const { service, logs } = await boot({ env: { ...KEY_ENV, ANTHROPIC_API_KEY: wrong }, sync: { providers: { openai: { apiKey: OPENAI_KEY } } } });
    const report = await service.run({ providers: ROUTES });
    expect(result(report, 'anthropic')).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('the API key was refused') } });
    const everything = JSON.stringify([report, await service.history.history(), logs]);
    for (const key of [wrong, OPENAI_KEY, GOOGLE_KEY]) expect({ key, leaked: everything.includes(key) }).toEqual({ key, leaked: false });
  });

  it.each([
    ['folded into the rollups first', true],
    ['still above the SQLite rollup watermark', false],
  ])('re-prices records of a model that had no price (%s); reports follow, known models untouched', async (_label, fold) => {
    const pricing = await PricingService.open(db);
    const base = Date.UTC(2026, 9, 1, 12);
    const usage = (i: number, model: string): UsageRecordInput => {
      const tokens = { inputTokens: 1_000 + i, outputTokens: 500, cacheWriteTokens: 200, cacheWrite1hTokens: 50, cacheReadTokens: 3_000 };
      const priced = pricing.price({ model, ...tokens });
      return { dedupKey: `k-${model}-${i}`, sessionId: 's1', agentType: 'claude-code', model, ...tokens, costUsd: priced.costUsd, costSource: priced.costSource, recordedAt: base + i * 60_000 };
    };
    const records = [...Array.from({ length: 5 }, (_, i) => usage(i, NEW_MODEL)), ...Array.from({ length: 3 }, (_, i) => usage(i, 'claude-sonnet-4-5'))];
    // A reported cost of $0 is the agent's word: never re-priced.
    records.push({ ...usage(9, NEW_MODEL), dedupKey: 'reported', costUsd: 0, costSource: 'reported' });
    await upsertUsageRecords(db, records);
    if (fold) await refreshUsageRollups(db);
    const costs = new CostAggregator(db);
    const before = Object.fromEntries((await costs.byModel()).map((row) => [row.model, row.costUsd]));
    expect(before[NEW_MODEL]).toBe(0);

    const { service } = await boot();
    const report = await service.run({ providers: ['litellm'] });
    expect(report.repriced).toMatchObject({ records: 5, models: [NEW_MODEL] });
    const prices = (await PricingService.open(db, { seed: false })).lookup(NEW_MODEL)!;
    const expected = records.filter((r) => r.model === NEW_MODEL && r.costSource === 'calculated').reduce((sum, r) => sum + calculateCost(r, prices), 0);
    const after = Object.fromEntries((await costs.byModel()).map((row) => [row.model, row.costUsd]));
    expect(after[NEW_MODEL]).toBeCloseTo(expected, 9);
    expect(after[NEW_MODEL]).toBeCloseTo(report.repriced.costUsd, 9);
    // claude-sonnet-4-5 was priced at ingest (snapshot prices): that cost stands.
    expect(after['claude-sonnet-4-5']).toBe(before['claude-sonnet-4-5']);
    // The rollups and the records agree after a compaction too.
    await refreshUsageRollups(db);
    expect((await costs.breakdown()).costUsd).toBeCloseTo((before['claude-sonnet-4-5'] ?? 0) + expected, 9);
    expect((await service.history.history({ provider: 'litellm', limit: 1 }))[0]?.repricedRecords).toBe(5);
    // Nothing left to re-price: a second sync touches no record.
    expect((await service.run({ providers: ['litellm'] })).repriced.records).toBe(0);
  });
});
