import { createReportSandbox, type ReportSandbox } from './report-cli';

/** Report options checked at the door: exit 2, the offending value named, what to use instead. */

let box: ReportSandbox;
beforeAll(async () => {
  box = await createReportSandbox();
});
afterAll(() => box.remove());

const cases: Array<[string, string[], RegExp]> = [
  ['an unknown time zone', ['costs', 'daily', '--tz', 'Mars/Olympus_Mons'], /--tz "Mars\/Olympus_Mons" is not a time zone .*IANA name such as UTC/],
  ['an unknown agent', ['costs', 'daily', '--agent', 'claude'], /--agent "claude" is not an agent Rimuru knows: use one of claude-code, codex, opencode, goose, copilot, cursor, gemini/],
  ['a malformed date', ['sessions', 'list', '--since', '01/10/2026'], /--since "01\/10\/2026" is not a date: use YYYY-MM-DD/],
  ['a date that does not exist', ['costs', 'weekly', '--until', '2026-02-30'], /--until "2026-02-30" is not a date/],
  ['--since after --until', ['costs', 'monthly', '--since', '2026-10-02', '--until', '2026-10-01'], /--since 2026-10-02 is after --until 2026-10-01: swap them/],
  ['an unknown cost mode', ['costs', 'daily', '--mode', 'guess'], /argument 'guess' is invalid\. Allowed choices are auto, calculate, display/],
  ['--mode on a report that has none', ['sessions', 'list', '--mode', 'display'], /unknown option '--mode'/],
  ['a date range on costs today', ['costs', 'today', '--since', '2026-10-01'], /costs today takes no --since\/--until/],
  ['--range with --since', ['costs', 'summary', '--range', '7d', '--since', '2026-10-01'], /either --range or --since\/--until/],
  ['an unknown --range', ['costs', 'summary', '--range', 'fortnight'], /Allowed choices are 7d, 30d, thismonth, lastmonth, all/],
  ['a --limit that is not a positive number', ['sessions', 'list', '--limit', '0'], /--limit "0" is not a positive whole number/],
  ['an unknown report', ['costs', 'yearly'], /unknown command 'yearly'/],
  ['sessions show without an id', ['sessions', 'show'], /missing required argument 'id'/],
  ['an empty --project', ['costs', 'session', '--project', ' '], /--project needs a directory/],
];

describe('report usage errors', () => {
  it.each(cases)('%s exits 2 and says what to do', async (_what, args, message) => {
    const result = await box.run(...args);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
  });
});
