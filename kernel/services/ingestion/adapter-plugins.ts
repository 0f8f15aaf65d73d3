import type { PluginManifest } from '../../core/registry/manifest-schema';
import type { PluginPermissions } from '../../../sdk/src/manifest';
import type { ResolvedConfig } from '../../config';

/** The agent an adapter plugin reads: the first of its `contributes.adapters`. */
export interface AdapterContribution {
  agentType: string;
  displayName: string;
}

/** Agent types are stored in 64-character columns (`agents.agent_type`, `usage_records.agent_type`). */
const MAX_AGENT_TYPE = 64;

/** The adapter an adapter plugin contributes, or `null` for any other plugin (or a malformed one). */
export function adapterContribution(manifest: PluginManifest | null): AdapterContribution | null {
  if (manifest?.rimuru.kind !== 'adapter') return null;
  const first = manifest.rimuru.contributes?.adapters?.[0];
  if (first === undefined || first.agentType.length === 0 || first.agentType.length > MAX_AGENT_TYPE) return null;
  return { agentType: first.agentType, displayName: first.displayName };
}

export interface AdapterRunSettings {
  /** The plugin's config: its `plugins.config` section, plus `paths` from `agents.<type>.paths` when set. */
  config: Record<string, unknown>;
  /** The manifest's permissions, plus read access (`fs.read` and `sqlite`) to those paths. */
  permissions: PluginPermissions;
}

/**
 * What an adapter plugin runs with. The user's `agents.<type>.paths` reach the adapter as
 * `ctx.config.paths` (it checks them before its env variables and `~`), and, because the user
 * named them, are granted for reading beside the manifest's own roots — for both the
 * capabilities the adapter calls and the engine's check of the sources it lists. Other plugins
 * run with their manifest and config unchanged.
 */
export function adapterRunSettings(
  manifest: PluginManifest | null,
  pluginConfig: Record<string, unknown>,
  agents: ResolvedConfig['agents'],
): AdapterRunSettings {
  const permissions = manifest?.rimuru.permissions ?? {};
  const adapter = adapterContribution(manifest);
  const paths = adapter === null ? [] : (agents[adapter.agentType]?.paths ?? []);
  if (paths.length === 0) return { config: pluginConfig, permissions };
  return {
    config: { ...pluginConfig, paths },
    permissions: {
      ...permissions,
      'fs.read': [...(permissions['fs.read'] ?? []), ...paths],
      sqlite: [...(permissions.sqlite ?? []), ...paths],
    },
  };
}

/** False when the user turned the agent off (`agents.<type>.enabled: false`). */
export function agentEnabled(agentType: string, agents: ResolvedConfig['agents']): boolean {
  return agents[agentType]?.enabled !== false;
}
