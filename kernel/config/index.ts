/** Kernel configuration: find the config file, validate it, fill in defaults, resolve paths. */
export { loadConfig, CONFIG_SEARCH_PLACES, type LoadConfigOptions, type LoadedConfig } from './load-config';
export { resolveConfig, type ResolveContext } from './resolve-config';
export { rimuruConfigSchema, CONFIG_DEFAULTS, type ResolvedConfig } from './schema';
export { resolveDataDir, expandHome, envValue, type Environment, type DataDirOptions } from './data-dir';
export { loadConfigModule } from './config-module-loader';
export {
  describeIssues,
  describeValue,
  formatKeyPath,
  formatIssueLines,
  closedObject,
  type IssueDescription,
} from './describe-issues';
