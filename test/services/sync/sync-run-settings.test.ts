import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { resolveConfig } from '../../../kernel/config';
import { parseManifest } from '../../../kernel/core/registry/manifest-schema';
import { syncRunSettings } from '../../../kernel/services/sync';

const REPO = path.resolve(__dirname, '../../..');
const manifestOf = (name: string) => parseManifest(JSON.parse(readFileSync(path.join(REPO, 'plugins', name, 'package.json'), 'utf8')), name);
const syncConfig = (sync: object) => resolveConfig({ sync }, { cwd: '/', env: {}, homeDir: '/' }).sync;

describe('syncRunSettings', () => {
  it('each sync plugin asks for its own host only', () => {
    const hosts = Object.fromEntries(
      ['sync-litellm', 'sync-openrouter', 'sync-anthropic', 'sync-openai', 'sync-google'].map((name) => [name, manifestOf(name).rimuru.permissions?.net]),
    );
    expect(hosts).toEqual({
      'sync-litellm': ['raw.githubusercontent.com'],
      'sync-openrouter': ['openrouter.ai'],
      'sync-anthropic': ['api.anthropic.com'],
      'sync-openai': ['api.openai.com'],
      'sync-google': ['generativelanguage.googleapis.com'],
    });
  });

  it("a configured base URL replaces the manifest's host: the plugin may reach that one and no other", () => {
    const manifest = manifestOf('sync-anthropic');
    const settings = syncRunSettings(manifest, { config: { other: 1 }, permissions: manifest.rimuru.permissions ?? {} }, syncConfig({ providers: { anthropic: { baseUrl: 'http://127.0.0.1:8123/proxy', apiKey: 'k-123456' } } }));
    expect(settings.permissions).toEqual({ net: ['127.0.0.1:8123'], env: ['ANTHROPIC_API_KEY'] });
    expect(settings.config).toEqual({ other: 1, baseUrl: 'http://127.0.0.1:8123/proxy', apiKey: 'k-123456', timeoutMs: 30_000, maxBytes: 16 * 1024 * 1024 });
  });

  it('without one, the manifest stands; other kinds of plugin are untouched', () => {
    const manifest = manifestOf('sync-openai');
    expect(syncRunSettings(manifest, { config: {}, permissions: manifest.rimuru.permissions ?? {} }, syncConfig({})).permissions).toEqual(manifest.rimuru.permissions);
    const adapter = manifestOf('adapter-codex');
    const unchanged = { config: { paths: ['/x'] }, permissions: { 'fs.read': ['/x'] } };
    expect(syncRunSettings(adapter, unchanged, syncConfig({ providers: { codex: { baseUrl: 'http://x' } } }))).toBe(unchanged);
  });
});
