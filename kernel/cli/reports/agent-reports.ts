import { z } from 'zod';
import { errorMessage } from '../../core/errors';
import { Kernel } from '../../core/lifecycle';
import type { PluginRecord } from '../../core/registry';
import { ACTIVE_SESSION_WINDOW_MS, AgentRepository, CostAggregator, type Agent, type Database } from '../../services/storage';
import { numberOf } from '../../services/storage/repositories/row-values';
import { storageCall } from '../../services/storage/repositories/storage-call';
import { openRegistry, type CliContext } from '../cli-context';
import { readLiveStatus } from '../kernel-status-file';
import { emptyContractTotals, toContractTotals, type ContractTotals } from './contract-totals';
import { AGENT_DISPLAY_NAMES, AGENT_IDS, type AgentId } from './known-agents';
import { localDayAt, startOfLocalDay } from './local-dates';
import { reportWarnings, type ReportContext } from './report-context';
import type { ReportWarning } from './report-warnings';

/** The adapter plugin that reads an agent's data, as the registry (or a running kernel) sees it. */
export interface AdapterPlugin {
  name: string;
  version: string;
  state: string;
  reason: string | null;
}

/** Adapter plugins by the agent types they contribute (`rimuru.contributes.adapters`). */
export function adaptersByAgent(records: readonly PluginRecord[]): Map<string, PluginRecord> {
  const byAgent = new Map<string, PluginRecord>();
  for (const record of records) {
    if (record.manifest?.rimuru.kind !== 'adapter') continue;
    for (const adapter of record.manifest.rimuru.contributes?.adapters ?? []) if (!byAgent.has(adapter.agentType)) byAgent.set(adapter.agentType, record);
  }
  return byAgent;
}

const selectedAgents = (agents: readonly AgentId[] | undefined): readonly AgentId[] => agents ?? AGENT_IDS;

/** The most recently seen stored discovery of each agent type. */
async function discoveredAgents(database: Database): Promise<Map<string, Agent>> {
  const latest = new Map<string, Agent>();
  for (const agent of await new AgentRepository(database).findAll()) {
    const seen = latest.get(agent.agentType);
    if (seen === undefined || agent.lastSeenAt > seen.lastSeenAt) latest.set(agent.agentType, agent);
  }
  return latest;
}

/** An agent, its adapter plugin, and what discovery found. */
export interface AgentFindings {
  agent: AgentId;
  displayName: string;
  /** The adapter plugin, or null when none is installed. */
  plugin: AdapterPlugin | null;
  /** null when discovery never ran (or could not). */
  installed: boolean | null;
  version: string | null;
  /** Data roots the adapter reads (after env and config overrides). */
  paths: string[];
}

export type AgentListRow = AgentFindings & { lastSeenAt: string | null };

/** `agents list --json`. */
export interface AgentListReport {
  report: 'agents';
  rows: AgentListRow[];
  warnings: ReportWarning[];
}

/** Every agent Rimuru knows: its adapter plugin and state, and what the last discovery stored. */
export async function buildAgentList(report: ReportContext): Promise<AgentListReport> {
  const registry = await openRegistry(report.cli.config, report.database);
  const live = await readLiveStatus(report.cli.config.dataDir);
  const liveState = new Map(live?.plugins.map((plugin) => [plugin.name, plugin]) ?? []);
  const adapters = adaptersByAgent(registry.list());
  const discovered = await discoveredAgents(report.database);
  const rows = selectedAgents(report.scope.agents).map((agent): AgentListRow => {
    const record = adapters.get(agent);
    const stored = discovered.get(agent);
    const running = record ? liveState.get(record.name) : undefined;
    return {
      agent,
      displayName: AGENT_DISPLAY_NAMES[agent],
      plugin: record ? { name: record.name, version: record.version, state: running?.state ?? record.state, reason: running?.reason ?? record.reason ?? null } : null,
      installed: stored ? stored.status !== 'missing' : null,
      version: stored?.version ?? null,
      paths: stored?.paths ?? [],
      lastSeenAt: stored ? new Date(stored.lastSeenAt).toISOString() : null,
    };
  });
  return { report: 'agents', rows, warnings: reportWarnings(report) };
}

export type AgentStatusRow = {
  agent: AgentId;
  displayName: string;
  installed: boolean | null;
  version: string | null;
  sessions: number;
  /** Sessions written to in the last 30 minutes. */
  activeSessions: number;
  lastActivityAt: string | null;
  /** Usage in the report's range (all time without one). */
  usage: ContractTotals;
  /** Usage today, in the report's zone. */
  today: ContractTotals;
};

/** `agents status --json`. */
export interface AgentStatusReport {
  report: 'agent-status';
  timeZone: string;
  rows: AgentStatusRow[];
  warnings: ReportWarning[];
}

/** What each agent is doing: sessions, active ones, its last activity, what it used in the range and today. */
export async function buildAgentStatus(report: ReportContext): Promise<AgentStatusReport> {
  const { database, scope } = report;
  const agents = selectedAgents(scope.agents);
  const discovered = await discoveredAgents(database);
  const activeSince = report.now - ACTIVE_SESSION_WINDOW_MS;
  const sessionRows = (await storageCall('counting sessions per agent', () => {
    const builder = database
      .knex('sessions')
      .select('agent_type')
      .count({ n: '*' })
      .max({ last: 'last_activity_at' })
      .sum({ active: database.knex.raw("case when status = 'active' and last_activity_at >= ? then 1 else 0 end", [activeSince]) })
      .whereIn('agent_type', [...agents])
      .groupBy('agent_type');
    if (scope.projectPath !== undefined) builder.where('project_path', scope.projectPath);
    return builder as Promise<Array<Record<string, unknown>>>;
  })) as Array<Record<string, unknown>>;
  const sessions = new Map(sessionRows.map((row) => [String(row.agent_type), row]));
  const aggregator = new CostAggregator(database, { logger: report.cli.logger });
  const filter = { agents, projectPath: scope.projectPath };
  const today = localDayAt(report.now, scope.timeZone);
  const [inRange, onToday] = await Promise.all([
    aggregator.byAgent({ from: scope.from ?? undefined, to: scope.to ?? undefined }, filter),
    aggregator.byAgent({ from: startOfLocalDay(today, scope.timeZone), to: startOfLocalDay(today + 1, scope.timeZone) }, filter),
  ]);
  const usageOf = (list: typeof inRange, agent: string): ContractTotals => {
    const found = list.find((item) => item.agentType === agent);
    return found ? toContractTotals(found) : emptyContractTotals();
  };
  const rows = agents.map((agent): AgentStatusRow => {
    const stored = discovered.get(agent);
    const counts = sessions.get(agent);
    return {
      agent,
      displayName: AGENT_DISPLAY_NAMES[agent],
      installed: stored ? stored.status !== 'missing' : null,
      version: stored?.version ?? null,
      sessions: numberOf(counts?.n),
      activeSessions: numberOf(counts?.active),
      lastActivityAt: counts?.last === null || counts?.last === undefined ? null : new Date(numberOf(counts.last)).toISOString(),
      usage: usageOf(inRange, agent),
      today: usageOf(onToday, agent),
    };
  });
  return { report: 'agent-status', timeZone: scope.timeZone, rows, warnings: reportWarnings(report) };
}

const discoverySchema = z.object({ installed: z.boolean(), version: z.string().optional(), paths: z.array(z.string()) });
const sourcesSchema = z.array(z.object({ id: z.string(), kind: z.string(), path: z.string() }));

export type AgentScanRow = AgentFindings & {
  /** Files and databases it would ingest; null when it could not say. */
  sources: number | null;
  /** Why discovery failed or did not run. */
  error: string | null;
};

/** `agents scan --json`. */
export interface AgentScanReport {
  report: 'scan';
  rows: AgentScanRow[];
}

/**
 * Runs every adapter's discovery now, in a kernel booted for the purpose (each adapter in its
 * sandbox with its own permissions): is the agent installed, which version, which data roots
 * and how many sources. Writes nothing.
 */
export async function scanAgents(cli: CliContext, database: Database, agents: readonly AgentId[] | undefined): Promise<AgentScanReport> {
  const kernel = await Kernel.boot({ config: cli.config, logger: cli.logger, database });
  try {
    const adapters = adaptersByAgent(kernel.registry.list());
    const rows: AgentScanRow[] = [];
    for (const agent of selectedAgents(agents)) {
      const base = { agent, displayName: AGENT_DISPLAY_NAMES[agent], installed: null, version: null, paths: [], sources: null };
      const record = adapters.get(agent);
      if (record === undefined) {
        rows.push({ ...base, plugin: null, error: 'no adapter plugin for this agent is installed' });
        continue;
      }
      const current = kernel.registry.get(record.name) ?? record;
      const plugin: AdapterPlugin = { name: current.name, version: current.version, state: current.state, reason: current.reason ?? null };
      const sandbox = kernel.plugin(record.name)?.live;
      if (sandbox === undefined) {
        rows.push({ ...base, plugin, error: `the adapter is ${current.state}${current.reason ? `: ${current.reason}` : ''}` });
        continue;
      }
      try {
        const discovery = discoverySchema.parse(await sandbox.invoke('discover', []));
        let sources: number | null = null;
        let error: string | null = null;
        if (discovery.installed) {
          try {
            sources = sourcesSchema.parse(await sandbox.invoke('sources', [])).length;
          } catch (sourcesError) {
            error = `listing its sources failed: ${errorMessage(sourcesError)}`;
          }
        }
        rows.push({ ...base, plugin, installed: discovery.installed, version: discovery.version ?? null, paths: discovery.paths, sources, error });
      } catch (discoverError) {
        rows.push({ ...base, plugin, error: `discovery failed: ${errorMessage(discoverError)}` });
      }
    }
    return { report: 'scan', rows };
  } finally {
    await kernel.shutdown('agents scan done');
  }
}
