import type { Command } from 'commander';
import { UsageError } from '../../core/errors';
import { MetricsRepository, type SystemMetric } from '../../services/storage';
import { loadCliContext, withStore, type GlobalOptions } from '../cli-context';
import { printJson, renderTable, type CliIo } from '../output';
import { isKnownTimeZone, dayNumberOf, formatLocalTime, startOfLocalDay, systemTimeZone } from '../reports/local-dates';

interface MetricsFlags {
  json?: boolean;
  since?: string;
  limit?: string;
  tz?: string;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100_000;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: a span back from now (`30m`, `6h`, `7d`), a local day (`YYYY-MM-DD`, from its
 * first instant in the zone) or an ISO time with a zone.
 * @throws UsageError naming the value and the forms it takes.
 */
export function parseSince(value: string, now: number, timeZone: string): number {
  const span = /^(\d+)([mhd])$/.exec(value.trim());
  if (span) return now - Number(span[1]) * (UNIT_MS[span[2] as string] as number);
  const day = dayNumberOf(value.trim());
  if (day !== null) return startOfLocalDay(day, timeZone);
  if (/^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:\d{2})$/.test(value.trim())) {
    const instant = Date.parse(value.trim());
    if (Number.isFinite(instant)) return instant;
  }
  throw new UsageError(`--since "${value}": use a span back from now (30m, 6h, 7d), a day (YYYY-MM-DD) or an ISO time (2026-07-01T09:00:00Z)`);
}

const mb = (bytes: number | null): string => (bytes === null ? '-' : `${(bytes / 1_048_576).toLocaleString('en-US', { maximumFractionDigits: 0 })} MB`);

function sampleJson(sample: SystemMetric): Record<string, unknown> {
  return {
    collectedAt: new Date(sample.collectedAt).toISOString(),
    cpuPercent: sample.cpuPercent,
    memoryUsedBytes: sample.memoryUsedBytes,
    memoryTotalBytes: sample.memoryTotalBytes,
    activeSessions: sample.activeSessions,
    extra: sample.extra,
  };
}

export function registerMetricsCommand(program: Command, io: CliIo): void {
  program
    .command('metrics')
    .description('recent system metrics samples (CPU, memory, active sessions) that run records every metrics.intervalSecs')
    .option('--json', 'print the samples as JSON')
    .option('--since <when>', 'samples since then: 30m, 6h, 7d, a day (YYYY-MM-DD) or an ISO time')
    .option('--limit <n>', `at most this many of the newest samples (default ${DEFAULT_LIMIT}, or all since --since)`)
    .option('--tz <zone>', "IANA time zone times are shown in (default: this machine's)")
    .action(async (flags: MetricsFlags, command: Command) => {
      const timeZone = flags.tz ?? systemTimeZone();
      if (!isKnownTimeZone(timeZone)) throw new UsageError(`--tz "${timeZone}" is not a time zone this system knows: use an IANA name such as UTC or Europe/Paris`);
      const limit = flags.limit === undefined ? (flags.since === undefined ? DEFAULT_LIMIT : MAX_LIMIT) : Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`--limit "${flags.limit}": use a whole number from 1 to ${MAX_LIMIT}`);
      const now = Date.now();
      const since = flags.since === undefined ? undefined : parseSince(flags.since, now, timeZone);
      const context = await loadCliContext(command.optsWithGlobals<GlobalOptions>(), 'warn');
      const { config } = context;
      const samples = (await withStore(context, (database) => new MetricsRepository(database).findRecent(limit, since))).reverse();
      if (flags.json) {
        printJson(io, {
          report: 'metrics',
          since: since === undefined ? null : new Date(since).toISOString(),
          intervalSecs: config.metrics.intervalSecs,
          retentionDays: config.metrics.retentionDays,
          samples: samples.map(sampleJson),
        });
        return;
      }
      if (samples.length === 0) {
        io.out(
          `no metrics samples${since === undefined ? '' : ' in that range'}: \`rimuru-kernel run\` records one every ${config.metrics.intervalSecs} s` +
            (config.metrics.enabled ? '' : ' once metrics.enabled is true (it is false in the config)'),
        );
        return;
      }
      const rows = samples.map((sample) => [
        formatLocalTime(sample.collectedAt, timeZone),
        sample.cpuPercent === null ? '-' : `${sample.cpuPercent.toFixed(1)} %`,
        mb(sample.memoryUsedBytes),
        mb(sample.memoryTotalBytes),
        sample.activeSessions ?? '-',
        typeof sample.extra.processRssBytes === 'number' ? mb(sample.extra.processRssBytes) : '-',
      ]);
      io.out(renderTable(io, ['Time', 'CPU', 'Memory used', 'Memory total', 'Active sessions', 'Kernel RSS'], rows, { align: ['left', 'right', 'right', 'right', 'right', 'right'] }));
      io.out(`${samples.length} sample${samples.length === 1 ? '' : 's'}, every ${config.metrics.intervalSecs} s, kept ${config.metrics.retentionDays} days; times in ${timeZone}`);
    });
}
