import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CostRepository, SessionRepository } from '../../kernel/services/storage';
import { HOSTILE_TEXTS, hostileData } from '../fixtures/export/hostile-rows';
import { createReportSandbox, type ReportSandbox } from './reports/report-cli';
import { openDataDirStore } from './reports/report-store';

/** `rimuru-kernel export` as a user runs it: the real bin, the built-in exporter plugins, a store the test filled. */
describe('rimuru-kernel export', () => {
  let box: ReportSandbox;
  const data = hostileData(HOSTILE_TEXTS);

  beforeAll(async () => {
    box = await createReportSandbox();
    const database = await openDataDirStore(box.dataDir);
    try {
      const sessions = new SessionRepository(database);
      for (const session of data.sessions) await sessions.save(session);
      await new CostRepository(database).saveMany(data.records);
    } finally {
      await database.close();
    }
  });
  afterAll(() => box.remove());

  it('writes every cost record to a CSV file that csv-parse reads back with the stored names; --json prints the summary', async () => {
    const file = path.join(box.home, 'costs.csv');
    const summary = await box.json<Record<string, unknown>>('export', 'costs', '--format', 'csv', '-o', file, '--no-ingest', '--tz', 'UTC', '--bom', '--json');
    expect(summary).toMatchObject({ report: 'export', dataset: 'costs', format: 'csv', rows: data.records.length, destination: file, truncated: false, warnings: [] });
    const text = readFileSync(file, 'utf8');
    expect(summary.bytes).toBe(Buffer.byteLength(text, 'utf8'));
    const rows = parseCsv(text, { columns: true, bom: true, record_delimiter: '\r\n' }) as Array<Record<string, string>>;
    expect(rows.map((row) => row.model).sort()).toEqual(data.records.map((record) => record.model).sort());
    expect(rows[0]?.recordedAt).toBe('2026-03-01T12:00:00.000Z');
    expect(readdirSync(box.home).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('writes to stdout when there is no -o, with the fields asked for and dates in --tz', async () => {
    const result = await box.run('export', 'sessions', '--format', 'json', '--no-ingest', '--tz', 'America/New_York', '--fields', 'title,startedAt', '--date-format', 'datetime');
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((row) => row.title)).toEqual(data.sessions.map((session) => session.title ?? null));
    expect(rows[0]).toEqual({ title: 'plain', startedAt: '2026-03-01 07:00:00' });
  });

  it('writes well-formed XML for --agent only', async () => {
    const result = await box.run('export', 'costs', '--format', 'xml', '--no-ingest', '--agent', 'codex', '--fields', 'agentType,model');
    expect(result.code).toBe(0);
    expect(XMLValidator.validate(result.stdout)).toBe(true);
    const parsed = new XMLParser({ parseTagValue: false, trimValues: false, htmlEntities: true, isArray: (name) => name === 'cost' }).parse(result.stdout) as { costs: { cost: Array<Record<string, string>> } };
    const codex = data.records.filter((record) => record.agentType === 'codex');
    expect(parsed.costs.cost.map((row) => row.model)).toEqual(codex.map((record) => record.model));
    expect(new Set(parsed.costs.cost.map((row) => row.agentType))).toEqual(new Set(['codex']));
  });

  it('lists the columns with --fields help', async () => {
    const result = await box.run('export', 'costs', '--format', 'csv', '--fields', 'help');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[1]).toBe('recordedAt\tdate');
  });

  it.each([
    [['export', 'costs', '--format', 'yaml', '--no-ingest'], '--format "yaml": no exporter plugin writes it; use csv, json, xml'],
    [['export', 'costs', '--format', 'csv', '--fields', 'id,colour'], '--fields "colour" is not a column of costs'],
    [['export', 'costs', '--format', 'json', '--delimiter', ';'], '--delimiter only apply to --format csv'],
    [['export', 'costs', '--format', 'csv', '--delimiter', '"'], '--delimiter "\\"": use one character'],
    [['export', 'costs', '--format', 'json', '--pretty', '--ndjson'], '--pretty and --ndjson exclude each other'],
    [['export', 'costs', '--format', 'csv', '--json'], '--json prints a summary of an export to a file'],
    [['export', 'costs', '--format', 'csv', '--since', '2026-13-01'], '--since "2026-13-01" is not a date'],
    [['export', 'costs'], "required option '--format <format>' not specified"],
  ])('refuses %j as a usage error (exit 2)', async (args, message) => {
    const result = await box.run(...args);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 2, stderr: expect.stringContaining(message) });
    expect(result.stdout).toBe('');
  });

  it('fails with E9102 (exit 1) when the output directory does not exist', async () => {
    const result = await box.run('export', 'costs', '--format', 'csv', '--no-ingest', '-o', path.join(box.home, 'no', 'such', 'dir', 'x.csv'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('E9102 cannot write the export to');
  });
});
