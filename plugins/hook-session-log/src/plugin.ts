import { Continue, defineHookPlugin, Skip, type PluginContext } from '@rimuru/sdk';

/**
 * Session log: one JSON line per `SessionStart` / `SessionEnd` appended to
 * `<dir>/sessions-YYYY-MM-DD.jsonl` (UTC day of writing). A file that would grow past
 * `config.maxBytes` (default 10 MiB) rolls over to `sessions-YYYY-MM-DD.1.jsonl`, `.2`, … .
 * `config.dir` (absolute, or `~/…`) is granted to this plugin by the kernel for reading (the
 * size check) and writing, and nothing else is; without it the plugin skips every event.
 */

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/** The file a line goes to, per UTC day and roll-over index. */
export function logFileName(day: string, index: number): string {
  return index === 0 ? `sessions-${day}.jsonl` : `sessions-${day}.${index}.jsonl`;
}

// The roll-over index of the current day, so a full file is not stat-ed again on every line.
let current = { day: '', index: 0 };

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

async function append(ctx: PluginContext, event: 'SessionStart' | 'SessionEnd', payload: object): Promise<boolean> {
  const dir = typeof ctx.config.dir === 'string' && ctx.config.dir !== '' ? ctx.config.dir.replace(/\/+$/, '') : undefined;
  if (dir === undefined) return false;
  const maxBytes = typeof ctx.config.maxBytes === 'number' && ctx.config.maxBytes > 0 ? ctx.config.maxBytes : DEFAULT_MAX_BYTES;
  const now = new Date().toISOString();
  const line = `${JSON.stringify({ event, loggedAt: now, ...payload })}\n`;
  const day = now.slice(0, 10);
  if (current.day !== day) current = { day, index: 0 };
  const bytes = utf8Length(line);
  for (;;) {
    const stat = await ctx.fs.stat(`${dir}/${logFileName(day, current.index)}`);
    // An empty file takes the line whatever its size: a line longer than maxBytes must land somewhere.
    if (stat === null || stat.size === 0 || stat.size + bytes <= maxBytes) break;
    current.index += 1;
  }
  await ctx.fs.appendFile(`${dir}/${logFileName(day, current.index)}`, line);
  return true;
}

export default defineHookPlugin({
  hooks: {
    async SessionStart(payload, ctx) {
      return (await append(ctx, 'SessionStart', payload)) ? Continue() : Skip();
    },
    async SessionEnd(payload, ctx) {
      return (await append(ctx, 'SessionEnd', payload)) ? Continue() : Skip();
    },
  },
});
