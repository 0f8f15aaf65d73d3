import path from 'node:path';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../../core/errors';
import { COST_MODES, type CostMode } from '../../services/pricing';
import { AGENT_IDS, isAgentId, type AgentId } from './known-agents';
import { dayNumberOf, isKnownTimeZone, startOfLocalDay, systemTimeZone } from './local-dates';


/** The options every report takes, as commander hands them over. */
export interface ReportFlags {
  json?: boolean;
  since?: string;
  until?: string;
  tz?: string;
  agent?: string[];
  project?: string;
  mode?: string;
  /** `--no-ingest` sets this to false. */
  ingest?: boolean;
}

/** Which records a report is about, checked. */
export interface ReportScope {
  timeZone: string;
  /** `--since` as given (`YYYY-MM-DD`), or null. */
  since: string | null;
  until: string | null;
  /** `[from, to)` in epoch ms: the first instant of `since` and of the day after `until`, in the zone. */
  from: number | null;
  to: number | null;
  /** `undefined` = every agent. */
  agents: AgentId[] | undefined;
  /** Absolute project path, or undefined. */
  projectPath: string | undefined;
  mode: CostMode;
  json: boolean;
  ingest: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * Adds the options every report shares. `costs` reports also get `--mode`.
 */
export function addReportOptions(command: Command, kind: { costs: boolean }): Command {
  command
    .option('--json', 'print the report as JSON')
    .option('--since <date>', 'first day to include, YYYY-MM-DD (inclusive, in --tz)')
    .option('--until <date>', 'last day to include, YYYY-MM-DD (inclusive, in --tz)')
    .option('--tz <zone>', 'IANA time zone the days are cut in (default: this machine\'s)')
    .option('--agent <type>', `only this agent; repeat for several (${AGENT_IDS.join(', ')})`, collect)
    .option('--project <path>', 'only sessions of this project directory')
    .option('--no-ingest', 'answer from the store without reading new agent data first');
  if (kind.costs) {
    command.addOption(
      new Option('--mode <mode>', 'auto: agent-reported cost when present, else calculated; calculate: always from tokens; display: reported only')
        .choices([...COST_MODES])
        .default('auto'),
    );
  }
  return command;
}

const flagsSchema = z.object({
  json: z.boolean().optional(),
  since: z.string().optional(),
  until: z.string().optional(),
  tz: z.string().optional(),
  agent: z.array(z.string()).optional(),
  project: z.string().optional(),
  mode: z.enum(COST_MODES).optional(),
  ingest: z.boolean().optional(),
});

function localDate(flag: string, value: string): number {
  const day = dayNumberOf(value);
  if (day === null) throw new UsageError(`${flag} "${value}" is not a date: use YYYY-MM-DD, e.g. ${flag} 2026-07-01`);
  return day;
}

/**
 * Checks the shared options and turns dates into instants of the zone.
 * @throws UsageError (exit 2) naming the offending value and what to use instead.
 */
export function parseReportScope(flags: ReportFlags): ReportScope {
  const parsed = flagsSchema.safeParse(flags);
  if (!parsed.success) throw new UsageError(`invalid options: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const options = parsed.data;
  const timeZone = options.tz ?? systemTimeZone();
  if (!isKnownTimeZone(timeZone)) {
    throw new UsageError(`--tz "${timeZone}" is not a time zone this system knows: use an IANA name such as UTC, Europe/Paris or America/New_York`);
  }
  const sinceDay = options.since === undefined ? null : localDate('--since', options.since);
  const untilDay = options.until === undefined ? null : localDate('--until', options.until);
  if (sinceDay !== null && untilDay !== null && sinceDay > untilDay) {
    throw new UsageError(`--since ${options.since} is after --until ${options.until}: swap them`);
  }
  const agents = parseAgentFilter(options.agent);
  if (options.project !== undefined && options.project.trim() === '') throw new UsageError('--project needs a directory, e.g. --project ~/code/app');
  return {
    timeZone,
    since: options.since ?? null,
    until: options.until ?? null,
    from: sinceDay === null ? null : startOfLocalDay(sinceDay, timeZone),
    to: untilDay === null ? null : startOfLocalDay(untilDay + 1, timeZone),
    agents,
    projectPath: options.project === undefined ? undefined : normaliseProjectPath(options.project),
    mode: options.mode ?? 'auto',
    json: options.json === true,
    ingest: options.ingest !== false,
  };
}

/**
 * `--agent` values, checked against the known agent ids; `undefined` (no `--agent`) = every agent.
 * @throws UsageError naming the unknown ones and listing the known.
 */
export function parseAgentFilter(values: readonly string[] | undefined): AgentId[] | undefined {
  if (values === undefined) return undefined;
  const unknown = values.filter((agent) => !isAgentId(agent));
  if (unknown.length > 0) {
    throw new UsageError(`--agent ${unknown.map((agent) => `"${agent}"`).join(', ')} is not an agent Rimuru knows: use one of ${AGENT_IDS.join(', ')}`);
  }
  return [...new Set(values)] as AgentId[];
}

/** Absolute, without a trailing separator: how agents log the directory they ran in. */
function normaliseProjectPath(value: string): string {
  const home = process.env.HOME;
  const expanded = value === '~' || value.startsWith('~/') ? path.join(home ?? '~', value.slice(1)) : value;
  const resolved = path.resolve(expanded);
  return resolved.length > 1 && resolved.endsWith(path.sep) ? resolved.slice(0, -1) : resolved;
}
