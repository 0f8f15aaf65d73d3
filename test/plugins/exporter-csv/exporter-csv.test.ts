import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { usePluginRuns } from '../plugin-runs';
import { asText, columnsOf, exportThrough, hostileCostRows, hostileSessionRows } from '../exporter-batches';
import { XML_ILLEGAL_TEXTS, HOSTILE_TEXTS } from '../../fixtures/export/hostile-rows';

const runs = usePluginRuns(path.resolve(__dirname, '../../../plugins/exporter-csv'));

/** csv-parse, strict: records must end in CRLF, quotes must be balanced, every row as wide as the header. */
function parseCsv(text: string, options: { delimiter?: string; bom?: boolean; columns?: boolean } = {}): Array<Record<string, string>> | string[][] {
  return parse(text, {
    delimiter: options.delimiter ?? ',',
    record_delimiter: '\r\n',
    bom: options.bom ?? false,
    columns: options.columns ?? true,
    relax_quotes: false,
    relax_column_count: false,
    skip_empty_lines: false,
  });
}

describe('exporter-csv in the sandbox', () => {
  it('writes hostile cost rows over several batches that csv-parse reads back as the same values (null as an empty field)', async () => {
    const { plugin } = await runs.start();
    const rows = hostileCostRows([...HOSTILE_TEXTS, ...XML_ILLEGAL_TEXTS]);
    const text = await exportThrough(plugin, 'costs', rows, { timeZone: 'UTC', dateFormat: 'epoch-ms' });
    const parsed = parseCsv(text) as Array<Record<string, string>>;
    expect(parsed).toEqual(rows.map((row) => asText(row, '')));
    expect(Object.keys(parsed[0] as object)).toEqual(columnsOf('costs').map((column) => column.name));
  });

  it('follows RFC 4180: CRLF after every record, quotes doubled, fields with a delimiter, quote, CR or LF quoted, others not', async () => {
    const { plugin } = await runs.start();
    const rows = [{ id: 'a,b', agentType: 'say "hi"', externalId: 'x\ny', projectPath: 'cr\rhere', title: 'plain', status: '', startedAt: 0 }];
    const text = await exportThrough(plugin, 'sessions', rows, { fields: ['id', 'agentType', 'externalId', 'projectPath', 'title', 'status'] });
    expect(text).toBe('id,agentType,externalId,projectPath,title,status\r\n"a,b","say ""hi""","x\ny","cr\rhere",plain,\r\n');
  });

  it('starts with one BOM when asked, and only then', async () => {
    const { plugin } = await runs.start();
    const rows = hostileSessionRows().slice(0, 20);
    const withBom = await exportThrough(plugin, 'sessions', rows, { bom: true });
    const without = await exportThrough(plugin, 'sessions', rows, {});
    expect(withBom.startsWith('\uFEFFid,')).toBe(true);
    expect(withBom.indexOf('\uFEFF', 1)).toBe(-1);
    expect(without.startsWith('id,')).toBe(true);
    expect(parseCsv(withBom, { bom: true })).toEqual(parseCsv(without));
  });

  it.each([[';'], ['\t'], ['|']])('uses the delimiter %j, quoting fields that contain it', async (delimiter) => {
    const { plugin } = await runs.start();
    const rows = hostileSessionRows();
    const text = await exportThrough(plugin, 'sessions', rows, { delimiter, dateFormat: 'iso', timeZone: 'UTC' });
    expect(text.split('\r\n')[0]).toBe(columnsOf('sessions').map((column) => column.name).join(delimiter));
    const parsed = parseCsv(text, { delimiter }) as Array<Record<string, string>>;
    expect(parsed.map((row) => row.title)).toEqual(rows.map((row) => (row.title === null ? '' : String(row.title))));
    expect(parsed.map((row) => row.startedAt)).toEqual(rows.map((row) => new Date(row.startedAt as number).toISOString()));
  });

  it('leaves the header out with header: false, and writes only the header for no rows', async () => {
    const { plugin } = await runs.start();
    const rows = hostileCostRows().slice(0, 3);
    const headless = await exportThrough(plugin, 'costs', rows, { header: false, fields: ['id', 'model'] });
    expect(parseCsv(headless, { columns: false })).toEqual(rows.map((row) => [String(row.id), String(row.model)]));
    expect(await exportThrough(plugin, 'costs', [], { fields: ['id', 'model'] })).toBe('id,model\r\n');
  });

  it.each([['"'], ['\n'], [';;'], ['']])('refuses the delimiter %j (E2006, naming it)', async (delimiter) => {
    const { plugin } = await runs.start();
    await expect(exportThrough(plugin, 'costs', hostileCostRows().slice(0, 2), { delimiter })).rejects.toMatchObject({
      code: 'E2006',
      message: expect.stringContaining('delimiter must be one character'),
    });
  });
});
