import type { PluginPermissions } from '../../../sdk/src/manifest';
import type { PluginManifest } from '../../core/registry/manifest-schema';

export interface RunSettings {
  config: Record<string, unknown>;
  permissions: PluginPermissions;
}

/** Plugin kinds whose configured destinations are granted at load. */
const GRANTED_KINDS = new Set(['notifier', 'hook']);

/** `host[:port]` of an http(s) URL, as a `permissions.net` entry; null for anything else. */
export function netEntryOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username !== '' || url.password !== '') return null;
  return url.host;
}

/**
 * What the user configured for a notifier or hook plugin is what it may reach, as adapters get
 * their `agents.<type>.paths`: the host (and port) of `config.url` joins `permissions.net`,
 * and `config.dir` joins `fs.read` and `fs.write`. Nothing else is widened: a notifier can post
 * to its own webhook host and nowhere else, whatever its manifest lists. Other kinds run with
 * their settings unchanged.
 */
export function withConfiguredGrants(manifest: PluginManifest | null, settings: RunSettings): RunSettings {
  if (manifest === null || !GRANTED_KINDS.has(manifest.rimuru.kind)) return settings;
  const { config, permissions } = settings;
  const net = netEntryOf(config.url);
  const dir = typeof config.dir === 'string' && config.dir.trim() !== '' ? config.dir : null;
  if (net === null && dir === null) return settings;
  return {
    config,
    permissions: {
      ...permissions,
      ...(net === null ? {} : { net: [...(permissions.net ?? []), net] }),
      ...(dir === null ? {} : { 'fs.read': [...(permissions['fs.read'] ?? []), dir], 'fs.write': [...(permissions['fs.write'] ?? []), dir] }),
    },
  };
}
