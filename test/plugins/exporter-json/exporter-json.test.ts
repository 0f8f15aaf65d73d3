import * as path from 'node:path';
import { usePluginRuns } from '../plugin-runs';
import { columnsOf, exportThrough, hostileCostRows, hostileSessionRows } from '../exporter-batches';
import { HOSTILE_TEXTS, XML_ILLEGAL_TEXTS } from '../../fixtures/export/hostile-rows';

const runs = usePluginRuns(path.resolve(__dirname, '../../../plugins/exporter-json'));

describe('exporter-json in the sandbox', () => {
  it.each([['compact', false], ['pretty', true]])('writes a %s array over several batches that JSON.parse reads back as the rows, keys in column order', async (_name, pretty) => {
    const { plugin } = await runs.start();
    const rows = hostileCostRows([...HOSTILE_TEXTS, ...XML_ILLEGAL_TEXTS]);
    const text = await exportThrough(plugin, 'costs', rows, { pretty, dateFormat: 'epoch-ms' });
    const parsed = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(parsed).toEqual(rows);
    expect(Object.keys(parsed[0] as object)).toEqual(columnsOf('costs').map((column) => column.name));
    if (pretty) expect(text.startsWith('[\n  {\n    "id": 1,\n')).toBe(true);
    else expect(text.split('\n')).toHaveLength(2); // one line and the final newline
  });

  it('writes NDJSON: one object per line, each parsing on its own', async () => {
    const { plugin } = await runs.start();
    const rows = hostileSessionRows();
    const text = await exportThrough(plugin, 'sessions', rows, { ndjson: true, dateFormat: 'epoch-ms' });
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(rows);
  });

  it('writes an empty array (and empty NDJSON) for no rows', async () => {
    const { plugin } = await runs.start();
    expect(JSON.parse(await exportThrough(plugin, 'costs', []))).toEqual([]);
    expect(JSON.parse(await exportThrough(plugin, 'costs', [], { pretty: true }))).toEqual([]);
    expect(await exportThrough(plugin, 'costs', [], { ndjson: true })).toBe('');
  });

  it('writes dates in each date format and time zone, and only the fields asked for, in their order', async () => {
    const { plugin } = await runs.start();
    // 2026-07-01 13:30:05.250 UTC (New York in daylight time) and 2026-01-15 04:00:00 UTC (standard time, the day before in New York).
    const rows = [
      { startedAt: Date.UTC(2026, 6, 1, 13, 30, 5, 250), id: 'a' },
      { startedAt: Date.UTC(2026, 0, 15, 4, 0, 0, 0), id: 'b' },
    ];
    const fields = ['startedAt', 'id'];
    const dates = async (dateFormat: string, timeZone: string) =>
      (JSON.parse(await exportThrough(plugin, 'sessions', rows, { fields, dateFormat, timeZone })) as Array<Record<string, unknown>>).map((row) => row.startedAt);
    expect(await dates('iso', 'UTC')).toEqual(['2026-07-01T13:30:05.250Z', '2026-01-15T04:00:00.000Z']);
    expect(await dates('iso', 'America/New_York')).toEqual(['2026-07-01T09:30:05.250-04:00', '2026-01-14T23:00:00.000-05:00']);
    expect(await dates('iso', 'Asia/Kolkata')).toEqual(['2026-07-01T19:00:05.250+05:30', '2026-01-15T09:30:00.000+05:30']);
    expect(await dates('datetime', 'America/New_York')).toEqual(['2026-07-01 09:30:05', '2026-01-14 23:00:00']);
    expect(await dates('date', 'America/New_York')).toEqual(['2026-07-01', '2026-01-14']);
    expect(await dates('epoch-ms', 'America/New_York')).toEqual([rows[0]?.startedAt, rows[1]?.startedAt]);
    expect(await dates('epoch-s', 'UTC')).toEqual([Math.floor((rows[0]?.startedAt as number) / 1000), (rows[1]?.startedAt as number) / 1000]);
    const first = JSON.parse(await exportThrough(plugin, 'sessions', rows, { fields: ['id', 'startedAt'] })) as Array<Record<string, unknown>>;
    expect(Object.keys(first[0] as object)).toEqual(['id', 'startedAt']);
  });

  it('refuses an unknown date format (E2006, naming it)', async () => {
    const { plugin } = await runs.start();
    await expect(exportThrough(plugin, 'sessions', hostileSessionRows().slice(0, 1), { dateFormat: 'yesterday' })).rejects.toMatchObject({
      code: 'E2006',
      message: expect.stringContaining('unknown date format "yesterday"'),
    });
  });
});
