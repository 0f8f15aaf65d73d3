import { splitCsv } from '../../../kernel/services/imports';

describe('splitCsv (RFC 4180)', () => {
  it('splits fields on commas and records on CRLF, LF or a lone CR, ignoring blank lines and a byte-order mark', () => {
    expect(splitCsv('\ufeffa,b,c\r\n1,2,3\n\n4,5,6\r7,,\n')).toEqual({
      records: [
        { line: 1, fields: ['a', 'b', 'c'] },
        { line: 2, fields: ['1', '2', '3'] },
        { line: 4, fields: ['4', '5', '6'] },
        { line: 5, fields: ['7', '', ''] },
      ],
      problems: [],
    });
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields, and numbers records by the line they start on', () => {
    const text = 'kind,note\r\n"Errored, No Charge","say ""hi""\r\nsecond line\nthird"\r\nIncluded,""\r\n';
    expect(splitCsv(text)).toEqual({
      records: [
        { line: 1, fields: ['kind', 'note'] },
        { line: 2, fields: ['Errored, No Charge', 'say "hi"\r\nsecond line\nthird'] },
        { line: 5, fields: ['Included', ''] },
      ],
      problems: [],
    });
  });

  it('reads the last record without a final line break', () => {
    expect(splitCsv('a,b\n"1","2"').records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ]);
  });

  it('reports a quote inside an unquoted field and text after a closing quote by line, and goes on with the next line', () => {
    expect(splitCsv('a,b\nx"y,1\n"x"y,2\n"ok",3\n')).toEqual({
      records: [
        { line: 1, fields: ['a', 'b'] },
        { line: 4, fields: ['ok', '3'] },
      ],
      problems: [
        { line: 2, message: 'a quote inside a field that is not quoted' },
        { line: 3, message: 'text after the closing quote of a field' },
      ],
    });
  });

  it('reports a quoted field that is never closed at the line it opens on', () => {
    expect(splitCsv('a,b\n1,2\n3,"open\n4,5\n')).toEqual({
      records: [
        { line: 1, fields: ['a', 'b'] },
        { line: 2, fields: ['1', '2'] },
      ],
      problems: [{ line: 3, message: 'a quoted field is never closed (the rest of the file was read as one field)' }],
    });
  });
});
