import os from 'node:os';
import path from 'node:path';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import { ConfigError, ErrorCodes, isRimuruError } from '../core/errors';
import { envValue, type Environment } from './data-dir';
import { loadConfigModule } from './config-module-loader';
import { resolveConfig } from './resolve-config';
import type { ResolvedConfig } from './schema';

export const CONFIG_SEARCH_PLACES = [
  'package.json',
  '.rimururc',
  '.rimururc.json',
  '.rimururc.yaml',
  '.rimururc.yml',
  '.rimururc.js',
  '.rimururc.cjs',
  'rimuru.config.ts',
  'rimuru.config.js',
  'rimuru.config.cjs',
  'rimuru.config.json',
  'rimuru.config.yaml',
  'rimuru.config.yml',
] as const;

export interface LoadConfigOptions {
  /** Where the search starts (walking up to the nearest package.json). Default `process.cwd()`. */
  cwd?: string;
  /** An explicit config file (`--config`); wins over `RIMURU_CONFIG` and the search. */
  configFile?: string;
  /** Default `process.env`. */
  env?: Environment;
  /** Default `os.homedir()`. */
  homeDir?: string;
}

export interface LoadedConfig {
  config: ResolvedConfig;
  /** The file the config came from; absent when none was found and only defaults/env apply. */
  filepath?: string;
}

const moduleLoader: Loader = (filepath, content) => loadConfigModule(filepath, content);

/**
 * A plugin's package.json also has a `rimuru` block (its manifest). Starting the kernel from a
 * plugin's folder must not read that manifest as kernel config, so a package.json that declares
 * `engines.rimuru` is treated as having no config and the search moves on.
 */
const jsonLoader: Loader = (filepath, content) => {
  const parsed: unknown = defaultLoaders['.json'](filepath, content);
  if (path.basename(filepath) !== 'package.json' || typeof parsed !== 'object' || parsed === null) return parsed;
  const engines = (parsed as { engines?: unknown }).engines;
  const isPluginManifest = typeof engines === 'object' && engines !== null && 'rimuru' in engines;
  return isPluginManifest ? {} : parsed;
};

function explorer() {
  return cosmiconfig('rimuru', {
    searchPlaces: [...CONFIG_SEARCH_PLACES],
    // Up to the project root (the first folder with a package.json), like eslint or prettier.
    searchStrategy: 'project',
    cache: false,
    loaders: {
      '.ts': moduleLoader,
      '.js': moduleLoader,
      '.cjs': moduleLoader,
      '.json': jsonLoader,
      '.yaml': defaultLoaders['.yaml'],
      '.yml': defaultLoaders['.yml'],
      noExt: defaultLoaders.noExt,
    },
  });
}

function parserMessage(error: unknown): string {
  const message =
    typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
      ? (error as { message: string }).message
      : String(error);
  // cosmiconfig prefixes "JSON Error in <file>:\n"; our message names the file already.
  return message.replace(/^(?:JSON|YAML|TypeScript) Error in [^\n]*:\n/, '').trim();
}

function failingFile(error: unknown, fallback: string | undefined): string | undefined {
  const own = typeof error === 'object' && error !== null ? (error as { filepath?: unknown }).filepath : undefined;
  return typeof own === 'string' ? own : fallback;
}

/**
 * Finds and reads the config (explicit file, else `RIMURU_CONFIG`, else a search from `cwd`),
 * applies env overrides and defaults, and validates it. Throws `ConfigError` E4002 when the
 * file cannot be read or parsed, E4001 when its contents are invalid.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const homeDir = options.homeDir ?? os.homedir();
  const explicit = options.configFile ?? envValue(env, 'RIMURU_CONFIG');
  const explicitPath = explicit === undefined ? undefined : path.resolve(cwd, explicit);

  let result: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    result = explicitPath === undefined ? await explorer().search(cwd) : await explorer().load(explicitPath);
  } catch (error) {
    if (isRimuruError(error)) throw error;
    const file = failingFile(error, explicitPath);
    throw new ConfigError(
      ErrorCodes.CONFIG_UNREADABLE,
      `${file ?? 'config'}: cannot read config file: ${parserMessage(error)}`,
      { cause: error, details: { file } },
    );
  }

  const filepath = result?.filepath;
  const raw = result === null || result.isEmpty === true ? {} : result.config;
  const config = resolveConfig(raw, { filepath, env, homeDir, cwd });
  return filepath === undefined ? { config } : { config, filepath };
}
