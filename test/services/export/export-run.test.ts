import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { runPlugin, type PluginRun } from '@rimuru/sdk/testing';
import { fileDestination, runExport, streamDestination, type ExporterHandle, type ExportQuery } from '../../../kernel/services/export';
import { CostRepository, SessionRepository, type Database } from '../../../kernel/services/storage';
import { rawRows } from '../../../kernel/services/storage/repositories/row-values';
import type { ExportDataset, ExportOptions } from '../../../sdk/src/kinds/exporter';
import { HOSTILE_TEXTS, hostileData, XML_ILLEGAL_TEXTS } from '../../fixtures/export/hostile-rows';
import { describeBackends } from '../storage/backends';

const PLUGINS = path.resolve(__dirname, '../../../plugins');
// PostgreSQL text cannot hold NUL; the other characters XML cannot hold are stored on both backends.
const TEXTS = [...HOSTILE_TEXTS, ...XML_ILLEGAL_TEXTS.filter((text) => !text.includes('\u0000'))];
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

type DbRow = Record<string, string | number | null>;

/** The stored rows an export must equal, read with plain SQL (not through the export's readers). */
async function storedCosts(db: Database, where = '1 = 1', bindings: number[] = []): Promise<DbRow[]> {
  const rows = rawRows(await db.knex.raw(`select * from usage_records where ${where} order by recorded_at, id`, bindings));
  return rows.map((row) => {
    const n = (key: string): number => Number(row[key]);
    return {
      id: n('id'),
      recordedAt: n('recorded_at'),
      sessionId: String(row.session_id),
      agentType: String(row.agent_type),
      model: String(row.model),
      provider: row.provider === null ? null : String(row.provider),
      inputTokens: n('input_tokens'),
      outputTokens: n('output_tokens'),
      cacheWriteTokens: n('cache_write_tokens'),
      cacheWrite1hTokens: n('cache_write_1h_tokens'),
      cacheReadTokens: n('cache_read_tokens'),
      reasoningTokens: n('reasoning_tokens'),
      totalTokens: n('input_tokens') + n('output_tokens') + n('cache_write_tokens') + n('cache_read_tokens'),
      costUsd: n('cost_usd'),
      costSource: String(row.cost_source),
    };
  });
}

async function storedSessions(db: Database): Promise<DbRow[]> {
  const sessions = rawRows(await db.knex.raw('select * from sessions order by started_at, id'));
  const records = rawRows(await db.knex.raw('select * from usage_records'));
  return sessions.map((row) => {
    const own = records.filter((record) => record.session_id === row.id);
    const sum = (key: string): number => own.reduce((total, record) => total + Number(record[key]), 0);
    return {
      id: String(row.id),
      agentType: String(row.agent_type),
      externalId: String(row.external_id),
      projectPath: row.project_path === null ? null : String(row.project_path),
      title: row.title === null ? null : String(row.title),
      status: String(row.status),
      startedAt: Number(row.started_at),
      endedAt: row.ended_at === null ? null : Number(row.ended_at),
      lastActivityAt: Number(row.last_activity_at),
      host: row.host === null ? null : String(row.host),
      records: own.length,
      inputTokens: sum('input_tokens'),
      outputTokens: sum('output_tokens'),
      cacheWriteTokens: sum('cache_write_tokens'),
      cacheReadTokens: sum('cache_read_tokens'),
      reasoningTokens: sum('reasoning_tokens'),
      totalTokens: sum('input_tokens') + sum('output_tokens') + sum('cache_write_tokens') + sum('cache_read_tokens'),
      costUsd: sum('cost_usd'),
    };
  });
}

/** Parses an export back with an independent parser; values as that format gives them (CSV and XML: text). */
function parseBack(format: string, dataset: ExportDataset, text: string): Array<Record<string, unknown>> {
  if (format === 'json') return JSON.parse(text) as Array<Record<string, unknown>>;
  if (format === 'csv') return parseCsv(text, { columns: true, record_delimiter: '\r\n', bom: true, relax_quotes: false }) as Array<Record<string, unknown>>;
  expect(XMLValidator.validate(text)).toBe(true);
  const row = dataset === 'costs' ? 'cost' : 'session';
  const document = new XMLParser({ ignoreDeclaration: true, parseTagValue: false, trimValues: false, htmlEntities: true, isArray: (name) => name === row }).parse(text) as Record<string, Record<string, unknown>>;
  return ((document[dataset] as Record<string, unknown> | string)?.[row as never] ?? []) as Array<Record<string, unknown>>;
}

/** The stored rows as the format gives them back: JSON keeps types; CSV has text ('' for null); XML has text, no element for null, U+FFFD for what XML cannot hold. */
function asFormat(format: string, rows: readonly DbRow[]): Array<Record<string, unknown>> {
  if (format === 'json') return rows.map((row) => ({ ...row }));
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      if (value === null) {
        if (format === 'csv') out[key] = '';
      } else out[key] = format === 'xml' ? String(value).replace(NOT_XML, '\uFFFD') : String(value);
    }
    return out;
  });
}

describeBackends('runExport through the real exporter plugins', (backend) => {
  let db: Database;
  let dir: string;
  const runs: PluginRun[] = [];
  const exporters = new Map<string, ExporterHandle>();

  beforeAll(async () => {
    db = await backend.connect();
    for (const format of ['csv', 'json', 'xml']) {
      const run = await runPlugin({ pluginDir: path.join(PLUGINS, `exporter-${format}`) });
      runs.push(run);
      exporters.set(format, { invoke: (method, args = []) => run.plugin.invoke(method, ...args) });
    }
  });
  afterAll(async () => {
    for (const run of runs) await run.dispose();
  });
  beforeEach(async () => {
    await backend.reset();
    const data = hostileData(TEXTS);
    const sessions = new SessionRepository(db);
    for (const session of data.sessions) await sessions.save(session);
    await new CostRepository(db).saveMany(data.records);
    dir = mkdtempSync(path.join(tmpdir(), 'rimuru-export-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function exportToFile(format: string, dataset: ExportDataset, options: ExportOptions = {}, query: ExportQuery = { from: null, to: null }, pageSize = 7) {
    const file = path.join(dir, `out.${format}`);
    const summary = await runExport({
      database: db,
      plugin: `@rimuru/exporter-${format}`,
      exporter: exporters.get(format) as ExporterHandle,
      dataset,
      query,
      options: { dateFormat: 'epoch-ms', timeZone: 'UTC', ...options },
      destination: await fileDestination(file),
      pageSize,
    });
    return { summary, text: readFileSync(file, 'utf8') };
  }

  it.each([['csv'], ['json'], ['xml']])('%s: cost records parsed back equal the stored rows (hostile names, several pages, shared timestamps)', async (format) => {
    const { summary, text } = await exportToFile(format, 'costs');
    const stored = await storedCosts(db);
    expect(stored.length).toBe(TEXTS.length * 3);
    expect(parseBack(format, 'costs', text)).toEqual(asFormat(format, stored));
    expect(summary).toMatchObject({ rows: stored.length, batches: Math.ceil((stored.length + 1) / 7), truncated: false });
  });

  it.each([['csv'], ['json'], ['xml']])('%s: sessions with their usage totals parsed back equal the stored rows', async (format) => {
    const { text } = await exportToFile(format, 'sessions', format === 'json' ? { pretty: true } : {});
    const stored = await storedSessions(db);
    const parsed = parseBack(format, 'sessions', text);
    // Sums of doubles may differ in the last bit with the order they are added in.
    const costs = parsed.map((row) => Number(row.costUsd));
    stored.forEach((row, index) => expect(costs[index]).toBeCloseTo(row.costUsd as number, 9));
    const withoutCost = (rows: Array<Record<string, unknown>>) => rows.map(({ costUsd: _cost, ...rest }) => rest);
    expect(withoutCost(parsed)).toEqual(withoutCost(asFormat(format, stored)));
  });

  it('keeps the page boundaries exact: every record once, in order, for page sizes 1, 2, 3 and the whole set', async () => {
    const ids = (await storedCosts(db)).map((row) => row.id);
    for (const pageSize of [1, 2, 3, ids.length, ids.length + 1]) {
      const { text } = await exportToFile('json', 'costs', { fields: ['id'] }, { from: null, to: null }, pageSize);
      expect({ pageSize, ids: (JSON.parse(text) as Array<{ id: number }>).map((row) => row.id) }).toEqual({ pageSize, ids });
    }
  });

  it('exports only the range, the agents and the project asked for; dates in the zone and fields in the order asked', async () => {
    const from = Date.UTC(2026, 2, 1, 15, 0, 0);
    const to = Date.UTC(2026, 2, 2, 3, 0, 0);
    const { text } = await exportToFile('csv', 'costs', { fields: ['recordedAt', 'id', 'agentType'], dateFormat: 'iso', timeZone: 'Asia/Tokyo' }, { from, to, agents: ['codex', 'opencode'] });
    const stored = await storedCosts(db, "recorded_at >= ? and recorded_at < ? and agent_type in ('codex', 'opencode')", [from, to]);
    expect(stored.length).toBeGreaterThan(3);
    expect(text.split('\r\n')[0]).toBe('recordedAt,id,agentType');
    const tokyo = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().replace('Z', '+09:00');
    expect(parseBack('csv', 'costs', text)).toEqual(stored.map((row) => ({ recordedAt: tokyo(row.recordedAt as number), id: String(row.id), agentType: row.agentType })));

    const project = '/home/dev/comma, inside';
    const bySession = await exportToFile('json', 'sessions', { fields: ['id', 'projectPath'] }, { from: null, to: null, projectPath: project });
    expect(JSON.parse(bySession.text)).toEqual([{ id: 'codex:s-1-commainside', projectPath: project }]);
    const costsOfProject = await exportToFile('json', 'costs', { fields: ['sessionId'] }, { from: null, to: null, projectPath: project });
    expect(JSON.parse(costsOfProject.text)).toEqual([{ sessionId: 'codex:s-1-commainside' }, { sessionId: 'codex:s-1-commainside' }, { sessionId: 'codex:s-1-commainside' }]);
  });

  it('writes a valid empty document when nothing matches', async () => {
    const nothing = { from: 0, to: 1 };
    expect(JSON.parse((await exportToFile('json', 'costs', {}, nothing)).text)).toEqual([]);
    expect((await exportToFile('xml', 'sessions', {}, nothing)).text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<sessions>\n</sessions>\n');
    expect((await exportToFile('csv', 'costs', { fields: ['id'] }, nothing)).text).toBe('id\r\n');
  });

  it('leaves no file under the target name, and no temp file, when the exporter fails half-way; an existing file stays as it was', async () => {
    const file = path.join(dir, 'costs.csv');
    writeFileSync(file, 'the previous export\n');
    const csv = exporters.get('csv') as ExporterHandle;
    let calls = 0;
    const failing: ExporterHandle = {
      invoke: async (method, args) => {
        calls += 1;
        if (calls === 3) throw new Error('the plugin broke');
        return csv.invoke(method, args);
      },
    };
    await expect(
      runExport({ database: db, plugin: 'broken', exporter: failing, dataset: 'costs', query: { from: null, to: null }, options: {}, destination: await fileDestination(file), pageSize: 5 }),
    ).rejects.toMatchObject({ code: 'E9101', message: expect.stringContaining('exporter broken failed on batch 2') });
    expect(readFileSync(file, 'utf8')).toBe('the previous export\n');
    expect(readdirSync(dir)).toEqual(['costs.csv']);

    const fresh = path.join(dir, 'fresh.csv');
    const notText: ExporterHandle = { invoke: async () => ({ rows: 1 }) as never };
    await expect(
      runExport({ database: db, plugin: 'odd', exporter: notText, dataset: 'costs', query: { from: null, to: null }, options: {}, destination: await fileDestination(fresh) }),
    ).rejects.toMatchObject({ code: 'E9101', message: expect.stringContaining('exportCosts returned object instead of text') });
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(dir)).toEqual(['costs.csv']);
  });

  it('cannot write into a directory that does not exist (E9102, nothing left behind)', async () => {
    await expect(fileDestination(path.join(dir, 'missing', 'out.csv'))).rejects.toMatchObject({ code: 'E9102', message: expect.stringContaining('cannot write the export to') });
  });

  it('waits for drain: never writes while the stream is over its high-water mark, and the slow reader still gets every byte', async () => {
    const chunks: string[] = [];
    let writesWhileFull = 0;
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        setTimeout(done, 2);
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: unknown, ...rest: unknown[]) => {
      writes += 1;
      if (slow.writableNeedDrain) writesWhileFull += 1;
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof slow.write;
    const summary = await runExport({
      database: db,
      plugin: '@rimuru/exporter-json',
      exporter: exporters.get('json') as ExporterHandle,
      dataset: 'costs',
      query: { from: null, to: null },
      options: { ndjson: true, dateFormat: 'epoch-ms' },
      destination: streamDestination(slow, 'slow reader'),
      pageSize: 4,
    });
    expect(writes).toBeGreaterThan(10);
    expect(writesWhileFull).toBe(0);
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { id: number }).id)).toEqual((await storedCosts(db)).map((row) => row.id));
    expect(summary.bytes).toBe(Buffer.byteLength(chunks.join(''), 'utf8'));
  });

  it('stops quietly when the reader goes away (EPIPE): truncated, no error', async () => {
    let taken = 0;
    const closing = new Writable({
      write(_chunk, _encoding, done) {
        taken += 1;
        if (taken === 2) done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        else done();
      },
    });
    const summary = await runExport({
      database: db,
      plugin: '@rimuru/exporter-csv',
      exporter: exporters.get('csv') as ExporterHandle,
      dataset: 'costs',
      query: { from: null, to: null },
      options: {},
      destination: streamDestination(closing, 'a pipe'),
      pageSize: 3,
    });
    expect(summary.truncated).toBe(true);
    expect(summary.rows).toBeLessThan(TEXTS.length * 3);
  });
});
