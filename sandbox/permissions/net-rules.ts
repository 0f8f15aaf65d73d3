/** One parsed `permissions.net` entry. */
export interface NetRule {
  /** Lower-case hostname, or the suffix after `*.` for a wildcard. IPv6 keeps its brackets. */
  host: string;
  wildcard: boolean;
  /** `null` allows every port. */
  port: number | null;
  /** The entry as written, for messages. */
  source: string;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'ws:': 80, 'https:': 443, 'wss:': 443 };

/**
 * Parses `api.example.com`, `*.example.com`, `127.0.0.1:8080`, `[::1]:9000` (a scheme prefix
 * is tolerated and ignored). The host goes through the WHATWG URL parser, like the requested
 * URL does, so both sides are compared in the same canonical form (lower case, punycode,
 * `0x7f.1` → `127.0.0.1`). Returns `null` for an entry that cannot be parsed.
 */
export function parseNetRule(entry: string): NetRule | null {
  const trimmed = entry.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const wildcard = trimmed.startsWith('*.');
  const hostPort = wildcard ? trimmed.slice(2) : trimmed;
  if (hostPort === '' || hostPort.includes('*') || hostPort.includes('@')) return null;
  let url: URL;
  try {
    url = new URL(`http://${hostPort}`);
  } catch {
    return null;
  }
  // `new URL('http://host:80')` reports port '' because 80 is http's default; recover it.
  const explicitPort = /:(\d+)$/.exec(hostPort);
  const port = explicitPort ? Number(explicitPort[1]) : null;
  return { host: url.hostname, wildcard, port, source: entry };
}

/** The port a URL really connects to. */
export function effectivePort(url: URL): number {
  return url.port === '' ? (DEFAULT_PORTS[url.protocol] ?? 0) : Number(url.port);
}

export function netRuleMatches(rule: NetRule, url: URL): boolean {
  const host = url.hostname.toLowerCase();
  const hostMatches = rule.wildcard ? host.endsWith(`.${rule.host}`) : host === rule.host;
  return hostMatches && (rule.port === null || rule.port === effectivePort(url));
}
