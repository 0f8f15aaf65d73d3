import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { makeTempDir, removeDir } from '../fixtures/registry/write-plugin';

/**
 * Under jest, `@rimuru/sdk` resolves through jest's moduleNameMapper, so an in-jest test cannot
 * tell whether the config loader's own `@rimuru/sdk` mapping works. This test compiles the
 * config module to plain JS and loads a `rimuru.config.ts` in a real Node process, where the
 * SDK package's TypeScript `main` is unloadable and only the mapping can make the import work.
 */

const REPO = path.resolve(__dirname, '../..');
const SOURCES = ['kernel/config', 'kernel/core/errors.ts', 'sdk/src/config.ts'];

async function tsFiles(entry: string): Promise<string[]> {
  const full = path.join(REPO, entry);
  if ((await fs.stat(full)).isFile()) return [entry];
  const names = await fs.readdir(full);
  return names.filter((n) => n.endsWith('.ts')).map((n) => path.join(entry, n));
}

async function compileTo(outDir: string): Promise<void> {
  for (const entry of SOURCES) {
    for (const file of await tsFiles(entry)) {
      const source = await fs.readFile(path.join(REPO, file), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      const target = path.join(outDir, file.replace(/\.ts$/, '.js'));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, outputText);
    }
  }
  await fs.symlink(path.join(REPO, 'node_modules'), path.join(outDir, 'node_modules'), 'dir');
}

describe('loadConfig in a plain Node process', () => {
  let root: string;
  beforeAll(async () => {
    root = await makeTempDir('rimuru-config-node-');
    await compileTo(path.join(root, 'build'));
  });
  afterAll(() => removeDir(root));

  it("maps @rimuru/sdk in rimuru.config.ts to the SDK's defineConfig", async () => {
    const project = path.join(root, 'project');
    await fs.mkdir(project, { recursive: true });
    await fs.writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'p' }));
    await fs.writeFile(
      path.join(project, 'rimuru.config.ts'),
      "import { defineConfig } from '@rimuru/sdk';\nexport default defineConfig({ logLevel: 'trace', server: { port: 4444 } });\n",
    );
    const script = `
      const { loadConfig } = require(${JSON.stringify(path.join(root, 'build/kernel/config'))});
      loadConfig({ cwd: ${JSON.stringify(project)}, env: {}, homeDir: ${JSON.stringify(root)} })
        .then((r) => process.stdout.write(JSON.stringify(r)))
        .catch((e) => { process.stdout.write(JSON.stringify({ error: e.code + ' ' + e.message })); });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: project });
    const result = JSON.parse(stdout) as { error?: string; filepath?: string; config?: { logLevel: string; server: { port: number } } };
    expect(result.error).toBeUndefined();
    expect(result.filepath).toBe(path.join(project, 'rimuru.config.ts'));
    expect(result.config?.logLevel).toBe('trace');
    expect(result.config?.server.port).toBe(4444);
  });
});
