import Table from 'cli-table3';

/** Where commands write; tests pass their own. Reports go to stdout, diagnostics to stderr. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Colours and box drawing only for a person at a terminal. */
  isTTY: boolean;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTTY: process.stdout.isTTY === true,
};

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export interface TableOptions {
  /** Per column; numbers read best right-aligned. Default left. */
  align?: Array<'left' | 'right'>;
}

export function renderTable(io: CliIo, head: string[], rows: Array<Array<string | number>>, options: TableOptions = {}): string {
  const table = new Table({
    head,
    style: { head: io.isTTY ? ['cyan'] : [], border: io.isTTY ? ['grey'] : [] },
    ...(io.isTTY ? {} : { chars: PLAIN_CHARS }),
    ...(options.align ? { colAligns: options.align } : {}),
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}

// Plain ASCII when piped: greppable, no box-drawing glyphs in logs.
const PLAIN_CHARS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};
