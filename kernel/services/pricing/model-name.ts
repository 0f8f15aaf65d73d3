/**
 * How model names are compared when they do not match exactly. Agents log the same model in
 * several spellings (`claude-sonnet-4.5`, `anthropic/claude-sonnet-4-5`,
 * `claude-sonnet-4-5-20250929`); price lists key it one way.
 */

// A path of routing prefixes: `anthropic/`, `openrouter/anthropic/`, `bedrock/`, `vertex_ai/`…
const PROVIDER_PATH = /^.*\//;
// Vertex spells the snapshot date `@20250929`; Anthropic `-20250929`.
const AT_DATE = /@(\d{8})$/;
// A version written with dots (`4.5`, `2.5`, `5.1`): only a dot between two digits.
const DOTTED_VERSION = /(\d)\.(?=\d)/g;
// An 8-digit release date at the end (`-20250514`): 20YY, month 0–1x, day 0–3x.
const DATE_SUFFIX = /^(.+)-(20\d{2}[01]\d[0-3]\d)$/;

/**
 * The comparable form of a model name: lower-case, without a provider path (everything up to
 * the last `/`), a Vertex `@YYYYMMDD` written `-YYYYMMDD`, and dots between digits turned into
 * dashes (`claude-sonnet-4.5` → `claude-sonnet-4-5`, `gemini-2.5-pro` → `gemini-2-5-pro`).
 * Nothing else is removed: a regional or platform id (`us.anthropic.…`, `…-v1:0`) keeps what
 * makes it different, so it never collapses onto the base model or the other way round.
 */
export function canonicalModelName(name: string): string {
  return name.trim().toLowerCase().replace(PROVIDER_PATH, '').replace(AT_DATE, '-$1').replace(DOTTED_VERSION, '$1-');
}

/** `claude-sonnet-4-20250514` → `{ base: 'claude-sonnet-4', date: '20250514' }`; `null` without an 8-digit date suffix. */
export function splitDateSuffix(canonicalName: string): { base: string; date: string } | null {
  const match = DATE_SUFFIX.exec(canonicalName);
  return match === null ? null : { base: match[1] as string, date: match[2] as string };
}
