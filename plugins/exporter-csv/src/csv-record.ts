/** RFC 4180 records. */

export interface CsvOptions {
  delimiter: string;
  bom: boolean;
  header: boolean;
}

/**
 * The CSV options of a batch. A delimiter must be one character other than a quote, CR or LF
 * (those could not be told apart from the quoting).
 */
export function csvOptions(options: Record<string, unknown>): CsvOptions {
  const delimiter = options.delimiter === undefined ? ',' : options.delimiter;
  if (typeof delimiter !== 'string' || [...delimiter].length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
    throw new Error(`CSV delimiter must be one character other than a double quote, CR or LF, got ${JSON.stringify(delimiter)}`);
  }
  return { delimiter, bom: options.bom === true, header: options.header !== false };
}

/** A field as RFC 4180 writes it: quoted (quotes doubled) when it holds the delimiter, a quote, CR or LF. */
export function csvField(value: string | number | null, delimiter: string): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : value;
  if (text.includes(delimiter) || text.includes('"') || text.includes('\n') || text.includes('\r')) {
    return `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}

/** One record, CRLF-terminated. */
export function csvRecord(cells: ReadonlyArray<string | number | null>, delimiter: string): string {
  const fields = new Array<string>(cells.length);
  for (let index = 0; index < cells.length; index++) fields[index] = csvField(cells[index] as string | number | null, delimiter);
  return `${fields.join(delimiter)}\r\n`;
}
