/** One CSV record and the line it starts on (1-based; a quoted field may span several lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A record that could not be split, and why. */
export interface CsvProblem {
  line: number;
  message: string;
}

export interface CsvSplit {
  records: CsvRecord[];
  problems: CsvProblem[];
}

const QUOTE = 34; // "
const COMMA = 44; // ,
const CR = 13;
const LF = 10;
const LINE_BREAKS = /\r\n|\r|\n/g;

/**
 * Splits RFC 4180 text into records: fields separated by commas, records by CRLF or LF (a lone
 * CR too); a field in double quotes may hold commas, quotes written twice and line breaks. A
 * leading byte-order mark and blank lines are ignored. A record that breaks the rules (a quote
 * inside an unquoted field, text after a closing quote, a quote never closed) is reported with
 * the line it starts on and left out; splitting resumes at the next line.
 */
export function splitCsv(text: string): CsvSplit {
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;

  // Moves past the line break at `at` (if any), counting it.
  const skipBreak = (): void => {
    const code = text.charCodeAt(at);
    if (code === CR) at += text.charCodeAt(at + 1) === LF ? 2 : 1;
    else if (code === LF) at += 1;
    else return;
    line += 1;
  };
  const atBreak = (): boolean => {
    const code = text.charCodeAt(at);
    return code === CR || code === LF;
  };
  // Abandons a broken record: everything up to the next line break.
  const skipRestOfLine = (): void => {
    while (at < text.length && !atBreak()) at += 1;
    skipBreak();
  };

  while (at < text.length) {
    const start = line;
    if (atBreak()) {
      skipBreak(); // a blank line
      continue;
    }
    const fields: string[] = [];
    let problem: string | null = null;
    for (;;) {
      let value = '';
      if (text.charCodeAt(at) === QUOTE) {
        at += 1;
        let closed = false;
        for (;;) {
          const quote = text.indexOf('"', at);
          if (quote === -1) break;
          // Everything up to the quote is the value, line breaks included (kept as written).
          const run = text.slice(at, quote);
          value += run;
          line += run.match(LINE_BREAKS)?.length ?? 0;
          if (text.charCodeAt(quote + 1) === QUOTE) {
            value += '"';
            at = quote + 2;
            continue;
          }
          at = quote + 1;
          closed = true;
          break;
        }
        if (!closed) {
          problems.push({ line: start, message: 'a quoted field is never closed (the rest of the file was read as one field)' });
          return { records, problems };
        }
        if (at < text.length && text.charCodeAt(at) !== COMMA && !atBreak()) problem = 'text after the closing quote of a field';
      } else {
        const from = at;
        while (at < text.length && text.charCodeAt(at) !== COMMA && !atBreak()) at += 1;
        value = text.slice(from, at);
        if (value.includes('"')) problem = 'a quote inside a field that is not quoted';
      }
      if (problem !== null) break;
      fields.push(value);
      if (at < text.length && text.charCodeAt(at) === COMMA) {
        at += 1;
        continue;
      }
      break;
    }
    if (problem !== null) {
      problems.push({ line: start, message: problem });
      skipRestOfLine();
      continue;
    }
    skipBreak();
    records.push({ line: start, fields });
  }
  return { records, problems };
}
