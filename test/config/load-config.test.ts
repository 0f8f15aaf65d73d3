import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type LoadConfigOptions } from '../../kernel/config';
import { ConfigError } from '../../kernel/core/errors';
import { makeTempDir, removeDir } from '../fixtures/registry/write-plugin';

describe('loadConfig', () => {
  let project: string;
  let home: string;

  beforeEach(async () => {
    const root = await makeTempDir('rimuru-config-');
    project = path.join(root, 'project');
    home = path.join(root, 'home');
    await fs.mkdir(project, { recursive: true });
    // The project root: the search stops here instead of wandering up into the real filesystem.
    await write('package.json', JSON.stringify({ name: 'some-project', version: '1.0.0' }));
  });
  afterEach(() => removeDir(path.dirname(project)));

  async function write(relative: string, text: string): Promise<string> {
    const file = path.join(project, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
    return file;
  }

  function load(options: Partial<LoadConfigOptions> = {}) {
    return loadConfig({ cwd: project, env: {}, homeDir: home, ...options });
  }

  async function failure(options: Partial<LoadConfigOptions> = {}): Promise<ConfigError> {
    const error = await load(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  describe('file kinds', () => {
    it('loads rimuru.config.ts importing defineConfig from @rimuru/sdk, without leaving files behind', async () => {
      const file = await write(
        'rimuru.config.ts',
        [
          "import { defineConfig } from '@rimuru/sdk';",
          "import type { RimuruConfig } from '@rimuru/sdk';",
          "const level: NonNullable<RimuruConfig['logLevel']> = 'debug';",
          'export default defineConfig({ logLevel: level, server: { port: 4000 } });',
          '',
        ].join('\n'),
      );
      const before = await fs.readdir(project);
      const { config, filepath } = await load();
      expect(filepath).toBe(file);
      expect(config.logLevel).toBe('debug');
      expect(config.server.port).toBe(4000);
      expect(await fs.readdir(project)).toEqual(before);
    });

    it('lets a ts config require files next to it', async () => {
      await write('shared/limits.js', 'module.exports = { memoryMb: 96 };\n');
      await write(
        'rimuru.config.ts',
        "import limits = require('./shared/limits');\nexport default { sandbox: { defaults: limits } };\n",
      );
      expect((await load()).config.sandbox.defaults.memoryMb).toBe(96);
    });

    it.each<[string, string]>([
      ['rimuru.config.js', "module.exports = { logLevel: 'warn' };\n"],
      ['rimuru.config.js', "import { defineConfig } from '@rimuru/sdk';\nexport default defineConfig({ logLevel: 'warn' });\n"],
      ['rimuru.config.cjs', "module.exports = { logLevel: 'warn' };\n"],
      ['.rimururc.js', "module.exports = { logLevel: 'warn' };\n"],
      ['rimuru.config.json', '{ "logLevel": "warn" }\n'],
      ['rimuru.config.yaml', 'logLevel: warn\n'],
      ['rimuru.config.yml', 'logLevel: warn\n'],
      ['.rimururc', 'logLevel: warn\n'],
      ['.rimururc.json', '{ "logLevel": "warn" }\n'],
      ['.rimururc.yaml', 'logLevel: warn\n'],
    ])('loads %s (%#)', async (name, text) => {
      const file = await write(name, text);
      const { config, filepath } = await load();
      expect(filepath).toBe(file);
      expect(config.logLevel).toBe('warn');
    });

    it('loads the rimuru key of package.json', async () => {
      const file = await write('package.json', JSON.stringify({ name: 'proj', rimuru: { logLevel: 'error' } }));
      const { config, filepath } = await load();
      expect(filepath).toBe(file);
      expect(config.logLevel).toBe('error');
    });

    it("does not mistake a plugin's manifest (package.json with engines.rimuru) for config", async () => {
      await write(
        'package.json',
        JSON.stringify({ name: 'a-plugin', version: '1.0.0', engines: { rimuru: '^1.0.0' }, rimuru: { kind: 'hook' } }),
      );
      const file = await write('rimuru.config.json', '{ "logLevel": "trace" }');
      const { config, filepath } = await load();
      expect(filepath).toBe(file);
      expect(config.logLevel).toBe('trace');
    });

    it('treats an empty file as an empty config', async () => {
      await write('rimuru.config.yaml', '');
      expect((await load()).config.logLevel).toBe('info');
    });
  });

  describe('finding the file', () => {
    it('searches up from a subdirectory to the project root', async () => {
      const file = await write('.rimururc.json', '{ "logLevel": "fatal" }');
      const sub = path.join(project, 'a', 'b');
      await fs.mkdir(sub, { recursive: true });
      const { config, filepath } = await load({ cwd: sub });
      expect(filepath).toBe(file);
      expect(config.logLevel).toBe('fatal');
    });

    it('returns defaults and no filepath when there is no config', async () => {
      const loaded = await load();
      expect(loaded.filepath).toBeUndefined();
      expect(loaded.config.dataDir).toBe(path.join(home, '.local', 'share', 'rimuru'));
    });

    it('uses an explicit --config file over the search, and RIMURU_CONFIG when none is given', async () => {
      await write('rimuru.config.json', '{ "logLevel": "warn" }');
      const explicit = await write('elsewhere/custom.yaml', 'logLevel: silent\n');
      const fromEnv = await write('elsewhere/env.json', '{ "logLevel": "trace" }');
      expect((await load({ configFile: 'elsewhere/custom.yaml' })).config.logLevel).toBe('silent');
      expect((await load({ env: { RIMURU_CONFIG: fromEnv } })).filepath).toBe(fromEnv);
      expect((await load({ configFile: explicit, env: { RIMURU_CONFIG: fromEnv } })).filepath).toBe(explicit);
    });
  });

  describe('environment overrides', () => {
    it('applies RIMURU_DATA_DIR, RIMURU_DATABASE_URL, RIMURU_LOG_LEVEL and RIMURU_PLUGIN_DIR after the file', async () => {
      await write(
        'rimuru.config.json',
        JSON.stringify({ dataDir: './file-data', logLevel: 'warn', database: { url: 'postgres://file/db' } }),
      );
      const env = {
        RIMURU_DATA_DIR: '/env/data',
        RIMURU_DATABASE_URL: 'postgres://env/db',
        RIMURU_LOG_LEVEL: 'debug',
        RIMURU_PLUGIN_DIR: '/env/plugins',
      };
      const { config } = await load({ env });
      expect(config).toMatchObject({
        dataDir: '/env/data',
        logLevel: 'debug',
        database: { url: 'postgres://env/db' },
        plugins: { dir: '/env/plugins' },
      });
    });

    it('resolves the file dataDir against the file, and derives the plugin dir from it', async () => {
      await write('conf/rimuru.config.json', JSON.stringify({ dataDir: '../state' }));
      const { config } = await load({ configFile: 'conf/rimuru.config.json' });
      expect(config.dataDir).toBe(path.join(project, 'state'));
      expect(config.plugins.dir).toBe(path.join(project, 'state', 'plugins'));
    });

    it('uses XDG_DATA_HOME when nothing else sets the data dir', async () => {
      const { config } = await load({ env: { XDG_DATA_HOME: '/xdg' } });
      expect(config.dataDir).toBe('/xdg/rimuru');
    });
  });

  describe('errors', () => {
    it('rejects an invalid value with E4001 naming the file, key path and expectation', async () => {
      await write('rimuru.config.json', '{ "logLevel": "loud" }');
      const error = await failure();
      expect(error.code).toBe('E4001');
      expect(error.message).toBe(
        'rimuru.config.json: logLevel: expected one of trace|debug|info|warn|error|fatal|silent, got "loud"',
      );
      expect(error.details.file).toBe(path.join(project, 'rimuru.config.json'));
    });

    it('rejects a misspelt key in a ts config', async () => {
      await write('rimuru.config.ts', "export default { plugins: { enabeld: {} } };\n");
      const error = await failure();
      expect(error.code).toBe('E4001');
      expect(error.message).toBe('rimuru.config.ts: plugins.enabeld: unknown key; expected one of: dir, enabled, config');
    });

    it.each<[string, string, RegExp]>([
      ['rimuru.config.json', '{ "logLevel": ', /rimuru\.config\.json: cannot read config file: .+/],
      ['rimuru.config.yaml', 'logLevel: [unclosed\n', /rimuru\.config\.yaml: cannot read config file: .+/],
      ['.rimururc', 'a: b: c\n', /\.rimururc: cannot read config file: .+/],
      ['rimuru.config.ts', 'export default { logLevel: ;\n', /rimuru\.config\.ts: cannot read config file: Expression expected\. \(line 1, column 28\)/],
    ])('rejects unparseable %s with E4002 naming the file and the parser message', async (name, text, pattern) => {
      const file = await write(name, text);
      const error = await failure();
      expect(error.code).toBe('E4002');
      expect(error.message.startsWith(file)).toBe(true);
      expect(error.message).toMatch(pattern);
    });

    it('reports an exception thrown by a js config as E4002', async () => {
      await write('rimuru.config.js', "throw new Error('no secrets file');\n");
      const error = await failure();
      expect(error.code).toBe('E4002');
      expect(error.message).toContain('rimuru.config.js: cannot read config file: no secrets file');
    });

    it('rejects a missing explicit config file with E4002', async () => {
      const error = await failure({ configFile: 'nope.json' });
      expect(error.code).toBe('E4002');
      expect(error.message).toContain(`${path.join(project, 'nope.json')}: cannot read config file: ENOENT`);
    });
  });
});
