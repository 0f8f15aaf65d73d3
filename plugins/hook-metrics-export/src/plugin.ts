import { Continue, defineHookPlugin, postJson, Skip, type HookPayloads } from '@rimuru/sdk';

/**
 * On `MetricsExport`: with `config.dir`, (over)writes `<dir>/rimuru.prom` in the Prometheus text
 * format, one gauge per metric named `rimuru_<name>` (for node_exporter's textfile collector);
 * with `config.url`, posts the payload as JSON. The kernel grants exactly that dir and that
 * host. Neither configured: the event is skipped.
 */

/** A Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, prefixed `rimuru_`. */
export function metricName(name: string): string {
  return `rimuru_${name.replace(/[^a-zA-Z0-9_:]/g, '_')}`;
}

export function prometheusText(payload: HookPayloads['MetricsExport']): string {
  const at = Date.parse(payload.collectedAt);
  const lines: string[] = [];
  for (const [name, value] of Object.entries(payload.metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!Number.isFinite(value)) continue;
    const metric = metricName(name);
    lines.push(`# TYPE ${metric} gauge`, `${metric} ${value}${Number.isFinite(at) ? ` ${at}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export default defineHookPlugin({
  hooks: {
    async MetricsExport(payload, ctx) {
      const dir = typeof ctx.config.dir === 'string' && ctx.config.dir !== '' ? ctx.config.dir.replace(/\/+$/, '') : undefined;
      const url = typeof ctx.config.url === 'string' && /^https?:\/\//i.test(ctx.config.url) ? ctx.config.url : undefined;
      if (dir === undefined && url === undefined) return Skip();
      if (dir !== undefined) await ctx.fs.writeFile(`${dir}/rimuru.prom`, prometheusText(payload));
      if (url !== undefined) {
        const result = await postJson(ctx, url, { body: JSON.stringify(payload), timeoutMs: 5_000 });
        // The status only: an answer's body may echo the URL (and its token) back, and errors are logged.
        if (!result.ok) throw new Error(`posting the metrics failed: ${result.status === undefined ? (result.error ?? 'no answer') : `HTTP ${result.status}`}`);
      }
      return Continue();
    },
  },
});
