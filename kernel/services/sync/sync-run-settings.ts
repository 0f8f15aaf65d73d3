import type { ResolvedConfig } from '../../config';
import type { PluginManifest } from '../../core/registry/manifest-schema';
import type { PluginPermissions } from '../../../sdk/src/manifest';

/** What a sync plugin declares in `contributes.sync`: the provider it reads and its standing. */
export interface SyncContribution {
  /** The provider's name (`litellm`, `openrouter`, `anthropic`, …): the key of `sync.providers`. */
  provider: string;
  /** The vendor's own source: wins for names and context windows. */
  official: boolean;
  /** Lower wins among sources of the same standing. */
  priority: number;
}

/** Priority of a sync plugin that declares none. */
export const DEFAULT_SYNC_PRIORITY = 100;

/** The provider a sync plugin contributes, or `null` for any other plugin. */
export function syncContribution(manifest: PluginManifest | null): SyncContribution | null {
  if (manifest?.rimuru.kind !== 'sync') return null;
  const first = manifest.rimuru.contributes?.sync?.[0];
  if (first === undefined || first.provider.length === 0 || first.provider.length > 100) return null;
  return { provider: first.provider, official: first.official ?? false, priority: first.priority ?? DEFAULT_SYNC_PRIORITY };
}

export interface PluginRunSettings {
  config: Record<string, unknown>;
  permissions: PluginPermissions;
}

/** `host[:port]` of an http(s) URL, as a `permissions.net` entry. */
export function netEntryOf(url: string): string {
  return new URL(url).host;
}

/**
 * What a sync plugin runs with: `ctx.config` gains the request bounds (`timeoutMs`,
 * `maxBytes`) and, from `sync.providers.<provider>`, its `baseUrl` and `apiKey`. A configured
 * `baseUrl` replaces the manifest's `net` list with that URL's host — the plugin may then
 * reach the proxy (or test server) the user named and nothing else, not even its default
 * host. Other plugins' settings are returned unchanged.
 */
export function syncRunSettings(manifest: PluginManifest | null, settings: PluginRunSettings, sync: ResolvedConfig['sync']): PluginRunSettings {
  const contribution = syncContribution(manifest);
  if (contribution === null) return settings;
  const provider = sync.providers[contribution.provider];
  const config: Record<string, unknown> = { ...settings.config, timeoutMs: sync.timeoutMs, maxBytes: sync.maxResponseBytes };
  if (provider?.apiKey !== undefined) config.apiKey = provider.apiKey;
  if (provider?.baseUrl === undefined) return { config, permissions: settings.permissions };
  config.baseUrl = provider.baseUrl;
  return { config, permissions: { ...settings.permissions, net: [netEntryOf(provider.baseUrl)] } };
}
