import * as path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { usePluginRuns } from '../plugin-runs';
import { asText, exportThrough, hostileCostRows, hostileSessionRows, type Row } from '../exporter-batches';
import { HOSTILE_TEXTS, LONE_SURROGATE_TEXTS, XML_ILLEGAL_TEXTS } from '../../fixtures/export/hostile-rows';

const runs = usePluginRuns(path.resolve(__dirname, '../../../plugins/exporter-xml'));

/** fast-xml-parser, keeping every value as the exact text (no trimming, no number parsing), entities and character references decoded. */
function parseXml(text: string, root: string, row: string): Array<Record<string, string>> {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const parser = new XMLParser({
    ignoreDeclaration: true,
    parseTagValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => name === row,
  });
  const document = parser.parse(text) as Record<string, Record<string, unknown> | string>;
  const rows = (document[root] as Record<string, unknown> | '')?.[row as never] as Array<Record<string, string>> | undefined;
  return (rows ?? []).map((element) => Object.fromEntries(Object.entries(element).filter(([key]) => key !== '#text')));
}

/** What the XML holds for a row: text of each non-null cell (a null cell has no element). */
function expectedXml(rows: readonly Row[]): Array<Record<string, string>> {
  return rows.map((row) => Object.fromEntries(Object.entries(asText(row, undefined)).filter(([, value]) => value !== undefined)) as Record<string, string>);
}

describe('exporter-xml in the sandbox', () => {
  it('writes hostile cost rows over several batches as well-formed XML that fast-xml-parser reads back as the same text', async () => {
    const { plugin } = await runs.start();
    const rows = hostileCostRows();
    const text = await exportThrough(plugin, 'costs', rows, { dateFormat: 'epoch-ms' });
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<costs>\n  <cost><id>1</id>')).toBe(true);
    expect(text.endsWith('</costs>\n')).toBe(true);
    expect(parseXml(text, 'costs', 'cost')).toEqual(expectedXml(rows));
  });

  it('escapes & < > " \' and writes CR as a character reference, so a parser gives CR and CRLF back unchanged', async () => {
    const { plugin } = await runs.start();
    const text = await exportThrough(plugin, 'sessions', [{ id: 'a&b<c>d"e\'f', title: 'x\r\ny\rz\n' }], { fields: ['id', 'title'] });
    expect(text).toContain('<session><id>a&amp;b&lt;c&gt;d&quot;e&apos;f</id><title>x&#13;\ny&#13;z\n</title></session>');
    expect(parseXml(text, 'sessions', 'session')).toEqual([{ id: 'a&b<c>d"e\'f', title: 'x\r\ny\rz\n' }]);
  });

  it('replaces characters XML 1.0 cannot hold (controls, lone surrogates, U+FFFF) by U+FFFD and stays well-formed', async () => {
    const { plugin } = await runs.start();
    const rows = hostileSessionRows([...XML_ILLEGAL_TEXTS, ...LONE_SURROGATE_TEXTS]);
    const text = await exportThrough(plugin, 'sessions', rows, { dateFormat: 'epoch-ms' });
    expect(text).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFF]/);
    const parsed = parseXml(text, 'sessions', 'session');
    expect(parsed.map((row) => row.title)).toEqual([
      'bell\uFFFD and escape\uFFFD',
      'nul\uFFFDbyte',
      'form\uFFFDfeed and vertical\uFFFDtab',
      'noncharacter \uFFFD',
      'lone \uFFFD high',
      'lone \uFFFD low',
    ]);
  });

  it('leaves a null cell out and writes an empty string as an empty element', async () => {
    const { plugin } = await runs.start();
    const text = await exportThrough(plugin, 'sessions', [{ id: 'a', title: null, host: '' }], { fields: ['id', 'title', 'host'] });
    expect(text).toContain('<session><id>a</id><host></host></session>');
    expect(parseXml(text, 'sessions', 'session')).toEqual([{ id: 'a', host: '' }]);
  });

  it('writes a document with no rows as an empty root', async () => {
    const { plugin } = await runs.start();
    const text = await exportThrough(plugin, 'costs', []);
    expect(text).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<costs>\n</costs>\n');
    expect(parseXml(text, 'costs', 'cost')).toEqual([]);
  });

  it('writes every hostile session field back exactly, with dates in a zone', async () => {
    const { plugin } = await runs.start();
    const rows = hostileSessionRows(HOSTILE_TEXTS);
    const text = await exportThrough(plugin, 'sessions', rows, { dateFormat: 'iso', timeZone: 'Europe/Paris' });
    const parsed = parseXml(text, 'sessions', 'session');
    expect(parsed.map((row) => row.title)).toEqual(rows.map((row) => (row.title === null ? undefined : row.title)));
    expect(parsed.map((row) => row.projectPath)).toEqual(rows.map((row) => (row.projectPath === null ? undefined : row.projectPath)));
    // March 2026 in Paris is winter time (+01:00) until the 29th.
    expect(parsed[0]?.startedAt).toBe('2026-03-01T13:00:00.000+01:00');
  });
});
