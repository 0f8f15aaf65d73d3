/**
 * Characters XML 1.0 cannot hold at all, even as a character reference: C0 controls other
 * than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SPECIAL = /[&<>"'\r]/g;
/** Anything either replacement could touch (surrogates included, paired or not): most text has none and is returned as it is. */
// eslint-disable-next-line no-control-regex
const MAYBE_CHANGED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F&<>"'\r\uD800-\uDFFF\uFFFE\uFFFF]/;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

/**
 * Text content as XML 1.0 writes it: `& < > " '` escaped; CR as `&#13;`, since a parser turns
 * a raw CR (or CRLF) into LF; characters XML cannot hold replaced by U+FFFD, so the document
 * stays well-formed and the replacement is visible.
 */
export function xmlText(value: string): string {
  if (!MAYBE_CHANGED.test(value)) return value;
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(SPECIAL, (char) => ESCAPES[char] as string);
}
