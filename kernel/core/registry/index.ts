/** The plugin registry: discovery, manifest validation, dependency order and plugin state. */
export {
  PluginRegistry,
  type PluginRegistryOptions,
  type PluginStateChangeEvent,
  type PluginStateListener,
} from './registry';
export {
  PLUGIN_STATES,
  ACTIVE_STATES,
  canTransition,
  transition,
  type PluginRecord,
  type PluginState,
  type PluginSource,
  type StateChange,
} from './plugin-record';
export {
  parseManifest,
  pluginManifestSchema,
  packageNameSchema,
  DEFAULT_PLUGIN_MAIN,
  DATA_PERMISSIONS,
  type PluginManifest,
} from './manifest-schema';
export {
  discoverPlugins,
  resolveNameClashes,
  defaultBuiltinPluginDir,
  type DiscoveryOptions,
  type DiscoveryResult,
  type PluginCandidate,
  type ShadowedCandidate,
} from './discovery';
export {
  orderByDependencies,
  type DependencyNode,
  type DependencyResolution,
  type DependencyVerdict,
} from './dependency-order';
export {
  JsonFilePluginStateStore,
  pluginStateFile,
  PLUGIN_STATE_FILE,
  type PluginChoice,
  type PluginStateStore,
} from './state-store';
