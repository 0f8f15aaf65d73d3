import { ConfigError } from '../../kernel/core/errors';
import { CONFIG_DEFAULTS, resolveConfig, type ResolveContext } from '../../kernel/config';

const context: ResolveContext = { filepath: '/proj/rimuru.config.json', env: {}, homeDir: '/home/t', cwd: '/proj' };

function problem(raw: unknown, ctx: ResolveContext = context): ConfigError {
  try {
    resolveConfig(raw, ctx);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected resolveConfig to reject the config');
}

describe('resolveConfig', () => {
  it('fills in every default from an empty config', () => {
    const config = resolveConfig({}, context);
    expect(config).toEqual({
      dataDir: '/home/t/.local/share/rimuru',
      logLevel: 'info',
      database: { ...CONFIG_DEFAULTS.database },
      plugins: { dir: '/home/t/.local/share/rimuru/plugins', enabled: {}, config: {} },
      sandbox: { defaults: { ...CONFIG_DEFAULTS.sandbox.defaults }, restart: { ...CONFIG_DEFAULTS.sandbox.restart } },
      hooks: { defaultTimeoutMs: 5000, routes: [], delivery: { ...CONFIG_DEFAULTS.hooks.delivery } },
      agents: {},
      ingest: { rescanIntervalSecs: 30, writerThread: true },
      budgets: {},
      server: { enabled: false, port: 3030, host: '127.0.0.1' },
      metrics: { enabled: true, intervalSecs: 60, retentionDays: 30 },
      sync: { intervalHours: 24, timeoutMs: 30_000, maxResponseBytes: 16 * 1024 * 1024, minIntervalMinutes: 60, retry: { attempts: 3, backoffMs: 2_000, maxBackoffMs: 60_000 }, providers: {} },
    });
  });

  it('keeps given values and fills the rest of a partly given section', () => {
    const config = resolveConfig(
      {
        dataDir: 'data',
        sandbox: { defaults: { memoryMb: 128 } },
        agents: { codex: { paths: ['~/x'] } },
        budgets: { daily: { limitUsd: 5 } },
        plugins: { dir: '../shared-plugins', enabled: { a: true }, config: { a: { token: 'x' } } },
      },
      context,
    );
    expect(config.dataDir).toBe('/proj/data');
    expect(config.plugins.dir).toBe('/shared-plugins');
    expect(config.sandbox.defaults).toEqual({ memoryMb: 128, callTimeoutMs: 10000, wallTimeoutMs: 30000 });
    expect(config.agents).toEqual({ codex: { paths: ['~/x'], enabled: true } });
    expect(config.budgets).toEqual({ daily: { limitUsd: 5 } });
    expect(config.plugins.config).toEqual({ a: { token: 'x' } });
  });

  it('does not share default objects between two resolutions', () => {
    const a = resolveConfig({}, context);
    a.plugins.enabled.x = true;
    expect(resolveConfig({}, context).plugins.enabled).toEqual({});
  });

  it('names the file, the key path and what was expected', () => {
    const error = problem({ logLevel: 'loud' });
    expect(error.code).toBe('E4001');
    expect(error.message).toBe(
      'rimuru.config.json: logLevel: expected one of trace|debug|info|warn|error|fatal|silent, got "loud"',
    );
  });

  it.each<[unknown, string]>([
    [{ database: { maxConnections: 0 } }, 'database.maxConnections: expected a number > 0, got 0'],
    [{ database: { minConnections: 5, maxConnections: 2 } }, 'database.minConnections: expected a number <= maxConnections (2), got 5'],
    [{ sandbox: { defualts: {} } }, 'sandbox.defualts: unknown key; expected one of: defaults, restart'],
    [{ server: { port: 70000 } }, 'server.port: expected a number <= 65535, got 70000'],
    [{ agents: { codex: { paths: 'x' } } }, 'agents.codex.paths: expected an array, got "x"'],
    [{ plugins: { enabled: { a: 'yes' } } }, 'plugins.enabled.a: expected true or false, got "yes"'],
    [{ hooks: { defaultTimeoutMs: 1.5 } }, 'hooks.defaultTimeoutMs: expected an integer, got 1.5'],
    ['just a string', 'expected an object, got "just a string"'],
  ])('rejects %j', (raw, expected) => {
    expect(problem(raw).message).toBe(`rimuru.config.json: ${expected}`);
  });

  it('applies RIMURU_LOG_LEVEL and RIMURU_DATABASE_URL over the file without mutating the input', () => {
    const raw = { logLevel: 'warn', database: { url: 'postgres://file' } };
    const config = resolveConfig(raw, { ...context, env: { RIMURU_LOG_LEVEL: 'debug', RIMURU_DATABASE_URL: 'postgres://env/db' } });
    expect(config.logLevel).toBe('debug');
    expect(config.database.url).toBe('postgres://env/db');
    expect(raw).toEqual({ logLevel: 'warn', database: { url: 'postgres://file' } });
  });

  it('blames the env var, not the file, for a bad value that came from the environment', () => {
    const error = problem({ logLevel: 'warn', server: { port: -1 } }, { ...context, env: { RIMURU_LOG_LEVEL: 'loud' } });
    expect(error.message.split('\n')).toEqual([
      'RIMURU_LOG_LEVEL: logLevel: expected one of trace|debug|info|warn|error|fatal|silent, got "loud"',
      'rimuru.config.json: server.port: expected a number >= 0, got -1',
    ]);
  });

  it('resolves RIMURU_DATA_DIR and RIMURU_PLUGIN_DIR against the cwd', () => {
    const config = resolveConfig(
      { dataDir: '/from-file', plugins: { dir: '/file-plugins' } },
      { ...context, cwd: '/elsewhere', env: { RIMURU_DATA_DIR: 'd', RIMURU_PLUGIN_DIR: '~/p' } },
    );
    expect(config.dataDir).toBe('/elsewhere/d');
    expect(config.plugins.dir).toBe('/home/t/p');
  });

  it('says so when there is no config file', () => {
    const error = problem({}, { ...context, filepath: undefined, env: { RIMURU_LOG_LEVEL: 'x' } });
    expect(error.message).toContain('RIMURU_LOG_LEVEL: logLevel');
    expect(resolveConfig(undefined, { ...context, filepath: undefined }).logLevel).toBe('info');
  });
});

describe('resolveConfig: sync', () => {
  const context = { cwd: '/proj', env: {}, homeDir: '/home/t' };

  it('takes per-provider settings and refuses a base URL that is not http(s), naming the key', () => {
    const config = resolveConfig({ sync: { intervalHours: 0, providers: { litellm: { baseUrl: 'http://127.0.0.1:8080/mirror', enabled: false } } } }, context);
    expect(config.sync.intervalHours).toBe(0);
    expect(config.sync.providers.litellm).toEqual({ baseUrl: 'http://127.0.0.1:8080/mirror', enabled: false });
    expect(() => resolveConfig({ sync: { providers: { litellm: { baseUrl: 'ftp://mirror' } } } }, context)).toThrow(/sync\.providers\.litellm\.baseUrl/);
    expect(() => resolveConfig({ sync: { intervalHours: -1 } }, context)).toThrow(/sync\.intervalHours/);
    expect(() => resolveConfig({ sync: { providers: { litellm: { baseURL: 'http://x' } } } } as never, context)).toThrow(/baseURL/);
  });
});
