import { z } from 'zod';
import type { HttpResponse } from '../../sdk/src/capabilities';
import { capabilityFailed, resultTooLarge } from './capability-errors';
import { clamp } from './capability-limits';
import { method, type Capability, type CapabilityContext } from './capability-method';
import { byteCountArg, headersArg, timeoutArg } from './arg-schemas';

const fetchArgs = z.strictObject({
  url: z.string().min(1).max(8192),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).optional(),
  headers: headersArg.optional(),
  body: z.string().optional(),
  timeoutMs: timeoutArg.optional(),
  maxBytes: byteCountArg.optional(),
  truncate: z.boolean().optional(),
});

const HTTP_SCHEMES = ['http', 'https'] as const;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Credentials that must not follow a redirect to another origin. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

function withoutHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));
}

/** The answer to a body over `maxBytes` with `truncate: false`: nothing of it is returned. */
function bodyTooLarge(plugin: string, where: string, host: string, maxBytes: number, announced: number | null): Error {
  const size = announced === null ? 'more than that' : `${announced} bytes announced`;
  return resultTooLarge(plugin, where, `the response body from ${host} is over the ${maxBytes}-byte limit (${size}); nothing of it was kept`);
}

/** The body size a response announces (`content-length`), or `null` when it does not say. */
function announcedLength(response: Response): number | null {
  const header = response.headers.get('content-length');
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header);
}

/** Reads at most `maxBytes` of a body stream and cancels the rest, so a huge body costs no more. */
async function readBounded(response: Response, maxBytes: number): Promise<{ body: string; truncated: boolean }> {
  if (response.body === null) return { body: '', truncated: false };
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { body: Buffer.concat(parts, total).toString('utf8'), truncated: false };
    const room = maxBytes - total;
    if (value.byteLength > room) {
      parts.push(value.subarray(0, room));
      total += room;
      await reader.cancel();
      return { body: Buffer.concat(parts, total).toString('utf8'), truncated: true };
    }
    parts.push(value);
    total += value.byteLength;
  }
}

/**
 * The `http` capability: `fetch` to hosts in `permissions.net`. Redirects are followed by
 * hand so each hop is checked against the gate before it is requested; credentials are
 * dropped when a hop changes origin; the body is read up to `maxBytes` and cut there — or,
 * with `truncate: false`, the call fails with E2005 (before reading anything when the
 * response announces a larger `content-length`), so a plugin that needs the whole document
 * never parses half of one.
 */
export function createHttpCapability({ plugin, gate, limits, signal }: CapabilityContext): Capability {
  const where = 'http.fetch';
  return {
    methods: {
      fetch: method(plugin, fetchArgs, async (args): Promise<HttpResponse> => {
        if (args.body !== undefined && Buffer.byteLength(args.body) > limits.maxHttpRequestBytes) {
          throw resultTooLarge(plugin, where, `the request body is over the ${limits.maxHttpRequestBytes}-byte limit`);
        }
        let url = gate.checkNet(args.url, HTTP_SCHEMES);
        let requestMethod: string = args.method ?? 'GET';
        let body = args.body;
        let headers = args.headers ?? {};
        const timeoutMs = clamp(args.timeoutMs, limits.httpTimeoutMs);
        const maxBytes = clamp(args.maxBytes, limits.maxHttpBodyBytes);
        const requestSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);

        try {
          for (let hop = 0; ; hop += 1) {
            const response = await fetch(url, { method: requestMethod, headers, body, redirect: 'manual', signal: requestSignal });
            const location = response.headers.get('location');
            if (!REDIRECT_STATUSES.has(response.status) || location === null) {
              const announced = announcedLength(response);
              if (args.truncate === false && announced !== null && announced > maxBytes) {
                await response.body?.cancel();
                throw bodyTooLarge(plugin, where, url.host, maxBytes, announced);
              }
              const { body: text, truncated } = await readBounded(response, maxBytes);
              if (truncated && args.truncate === false) throw bodyTooLarge(plugin, where, url.host, maxBytes, announced);
              return { status: response.status, headers: Object.fromEntries(response.headers), body: text, truncated };
            }
            await response.body?.cancel();
            if (hop >= limits.maxRedirects) {
              throw capabilityFailed(plugin, where, new Error(`more than ${limits.maxRedirects} redirects starting at ${args.url}`));
            }
            const next = gate.checkNet(new URL(location, url).href, HTTP_SCHEMES);
            if (next.origin !== url.origin) headers = withoutHeaders(headers, ORIGIN_BOUND_HEADERS);
            // As browsers do: 303 always, and 301/302 after a POST, continue as a bodiless GET.
            if (response.status === 303 || ((response.status === 301 || response.status === 302) && requestMethod === 'POST')) {
              if (requestMethod !== 'HEAD') requestMethod = 'GET';
              body = undefined;
              headers = withoutHeaders(headers, BODY_HEADERS);
            }
            url = next;
          }
        } catch (error) {
          if (requestSignal.aborted && !signal.aborted) {
            throw capabilityFailed(plugin, where, new Error(`no complete response from ${url.host} within ${timeoutMs} ms`));
          }
          throw error;
        }
      }),
    },
  };
}
