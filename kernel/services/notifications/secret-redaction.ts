/**
 * Keeps destinations and secrets out of logs, errors and the delivery log. A webhook URL is a
 * credential (Slack's and Discord's carry their token in the path), and so are HMAC secrets and
 * custom header values: every string of those config keys is cut out of any text we store.
 */

const SECRET_KEYS = new Set(['url', 'secret', 'token', 'webhookUrl', 'headers', 'password']);
const URL_IN_TEXT = /\b(https?|wss?):\/\/([^\s/"'<>?#]+)[^\s"'<>]*/gi;
export const REDACTED = '[redacted]';

/** The secret strings of one plugin's config section (values under url, secret, token, headers…). */
export function secretsOf(config: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.length >= 4) out.push(value);
      try {
        const url = new URL(value);
        const rest = `${url.pathname}${url.search}`;
        if (rest.length > 1) out.push(rest);
      } catch {
        // not a URL: the whole value is enough
      }
    } else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(collect);
  };
  for (const [key, value] of Object.entries(config)) if (SECRET_KEYS.has(key)) collect(value);
  // Longest first, so a URL is cut whole before its path is looked for.
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** `text` with every secret cut out, and any URL left reduced to its scheme and host. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out.replace(URL_IN_TEXT, (_match, scheme: string, host: string) => `${scheme}://${host}/${REDACTED}`);
}
