import { PluginError } from '../../../kernel/core/errors';
import { parseManifest } from '../../../kernel/core/registry';
import { pluginPackageJson, type PluginFixture } from '../../fixtures/registry/write-plugin';

const FILE = '/plugins/demo/package.json';

function manifest(fixture: Partial<PluginFixture> = {}): Record<string, unknown> {
  return pluginPackageJson({ name: 'demo', ...fixture });
}

/** The E3001 message for `json`; fails the test if parsing succeeds or throws something else. */
function problemOf(json: unknown): string {
  try {
    parseManifest(json, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(PluginError);
    expect((error as PluginError).code).toBe('E3001');
    return (error as PluginError).message;
  }
  throw new Error('expected parseManifest to reject the manifest');
}

describe('parseManifest', () => {
  it('accepts a full manifest and fills in main', () => {
    const parsed = parseManifest(
      manifest({
        name: '@rimuru/adapter-demo',
        version: '1.2.0-beta.1',
        kind: 'adapter',
        engines: '^1.0.0',
        contributes: { adapters: [{ agentType: 'demo', displayName: 'Demo' }], hooks: [{ hook: 'SessionStart', priority: 10 }] },
        permissions: { 'fs.read': ['~/.demo'], net: ['api.demo.dev'], data: ['sessions'] },
        limits: { memoryMb: 32, callTimeoutMs: 500 },
        dependencies: { '@rimuru/other': '>=1.0.0 <3' },
        extra: { description: 'demo', license: 'MIT', scripts: { build: 'x' } },
      }),
      FILE,
    );
    expect(parsed.main).toBe('dist/plugin.js');
    expect(parsed.rimuru.permissions?.['fs.read']).toEqual(['~/.demo']);
    expect(parsed.rimuru.dependencies).toEqual({ '@rimuru/other': '>=1.0.0 <3' });
    // npm-only keys are not carried into the kernel's view of the manifest.
    expect(parsed).not.toHaveProperty('scripts');
    expect(Object.isFrozen(parsed.rimuru.permissions)).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a name that is not an npm name', manifest({ name: 'Bad Name' }), 'name: expected a lowercase npm package name'],
    ['a non-semver version', manifest({ version: '1.0' }), 'version: expected a semver version like 1.2.3, got "1.0"'],
    ['a v-prefixed version', manifest({ version: 'v1.0.0' }), 'version: expected a semver version like 1.2.3, got "v1.0.0"'],
    ['an invalid engines range', manifest({ engines: 'not a range' }), 'engines.rimuru: expected a semver range like ^1.0.0, got "not a range"'],
    ['a missing engines block', { ...manifest(), engines: undefined }, 'engines: expected an object, got nothing'],
    ['an unknown kind', manifest({ kind: 'widget' as never }), 'rimuru.kind: expected one of adapter|exporter|notifier|view|sync|mux|hook|skill, got "widget"'],
    ['a main outside the plugin folder', manifest({ main: '../other/plugin.js' }), 'main: expected a relative path inside the plugin folder'],
    ['an absolute main', manifest({ main: '/etc/passwd' }), 'main: expected a relative path inside the plugin folder'],
    ['a non-string net grant', manifest({ permissions: { net: ['a.dev', 'b.dev', 42] } }), 'rimuru.permissions.net[2]: expected a string, got 42'],
    ['an unknown data permission', manifest({ permissions: { data: ['secrets'] } }), 'rimuru.permissions.data[0]: expected one of sessions|costs|models|metrics|agents, got "secrets"'],
    ['a zero limit', manifest({ limits: { memoryMb: 0 } }), 'rimuru.limits.memoryMb: expected a number > 0, got 0'],
    ['a fractional limit', manifest({ limits: { callTimeoutMs: 1.5 } }), 'rimuru.limits.callTimeoutMs: expected an integer, got 1.5'],
    ['an invalid dependency range', manifest({ dependencies: { other: 'latest!' } }), 'rimuru.dependencies.other: expected a semver range like ^1.0.0, got "latest!"'],
    ['an invalid dependency name', manifest({ dependencies: { 'Not Valid': '^1.0.0' } }), 'rimuru.dependencies["Not Valid"]: expected the key to be a lowercase npm package name'],
    ['a contribution item missing a field', manifest({ contributes: { adapters: [{ agentType: 'x' }] } }), 'rimuru.contributes.adapters[0].displayName: expected a string, got nothing'],
  ])('rejects %s, naming the file and key path', (_label, json, expected) => {
    const message = problemOf(json);
    expect(message).toContain(`${FILE}: ${expected}`);
  });

  it('rejects an unknown permission key instead of ignoring it, listing the known ones', () => {
    const message = problemOf(manifest({ permissions: { 'fs.reed': ['~/x'] } }));
    expect(message).toBe(
      `${FILE}: rimuru.permissions["fs.reed"]: unknown key; expected one of: fs.read, fs.write, net, exec, sqlite, env, data`,
    );
  });

  it('rejects unknown keys in the rimuru block and in contributes', () => {
    expect(problemOf(manifest({ rimuru: { permisions: {} } }))).toContain(`${FILE}: rimuru.permisions: unknown key;`);
    expect(problemOf(manifest({ contributes: { adapter: [] } }))).toContain(`${FILE}: rimuru.contributes.adapter: unknown key;`);
  });

  it('reports every problem, one line each', () => {
    const message = problemOf(manifest({ version: 'x', limits: { memoryMb: -1 } }));
    expect(message.split('\n')).toEqual([
      `${FILE}: version: expected a semver version like 1.2.3, got "x"`,
      `${FILE}: rimuru.limits.memoryMb: expected a number > 0, got -1`,
    ]);
  });

  it('puts the structured issues in the error details', () => {
    try {
      parseManifest(manifest({ permissions: { net: [1] } }), FILE);
      throw new Error('expected a rejection');
    } catch (error) {
      expect((error as PluginError).details).toEqual({
        file: FILE,
        issues: [{ path: 'rimuru.permissions.net[0]', problem: 'expected a string, got 1' }],
      });
    }
  });
});
