import { z } from 'zod';

/**
 * Turns zod issues into lines a user can act on: the key path as they would write it
 * (`rimuru.permissions.net[2]`), what was expected, and what they wrote. Zod's own messages
 * ("Invalid input: expected string, received number") name neither the key nor the value.
 * Shared by the config loader and the plugin manifest parser.
 */

export interface IssueDescription {
  /** Key path, e.g. `rimuru.permissions.net[2]`; empty for the document itself. */
  path: string;
  /** What was expected and what was found, e.g. `expected a string, got 42`. */
  problem: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function formatKeyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** `42`, `"loud"`, `an object`, `nothing` — short enough for one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  return String(value);
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
};

function bound(issue: { origin: string; inclusive?: boolean }, limit: number | bigint, below: boolean): string {
  const n = Number(limit);
  if (issue.origin === 'string') return below ? (n === 1 ? 'a non-empty string' : `at least ${n} characters`) : `at most ${n} characters`;
  if (issue.origin === 'array') return below ? `at least ${n} items` : `at most ${n} items`;
  const op = below ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
  return `a number ${op} ${n}`;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? String(issue.expected);
    case 'invalid_value':
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((v) => String(v)).join('|')}`;
    case 'too_small':
      return bound(issue, issue.minimum, true);
    case 'too_big':
      return bound(issue, issue.maximum, false);
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return 'one of the allowed forms';
    // Our own refinements and formats carry a message phrased as the expectation.
    default:
      return issue.message;
  }
}

export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>, input: unknown): IssueDescription[] {
  const out: IssueDescription[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      // One line per unknown key, so a typo is reported at the key the user wrote.
      for (const key of issue.keys) {
        out.push({ path: formatKeyPath([...issue.path, key]), problem: `unknown key; ${issue.message}` });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      const key = issue.path[issue.path.length - 1];
      const inner = issue.issues[0];
      out.push({
        path: formatKeyPath(issue.path),
        problem: `expected the key to be ${inner ? expectation(inner) : 'valid'}, got ${describeValue(String(key))}`,
      });
      continue;
    }
    out.push({
      path: formatKeyPath(issue.path),
      problem: `expected ${expectation(issue)}, got ${describeValue(valueAt(input, issue.path))}`,
    });
  }
  return out;
}

/** `file: path: problem` lines, the form both config and manifest errors use. */
export function formatIssueLines(source: string, descriptions: ReadonlyArray<IssueDescription>): string {
  return descriptions
    .map((d) => (d.path === '' ? `${source}: ${d.problem}` : `${source}: ${d.path}: ${d.problem}`))
    .join('\n');
}

/**
 * A strict object whose unknown-key issue lists the keys that are allowed, so a typo
 * (`permisions`, `fs.reed`) is an error that says what was meant rather than being ignored.
 */
export function closedObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `expected one of: ${known}` : undefined),
  });
}
