import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import type TypeScript from 'typescript';
import * as sdkConfig from '../../sdk/src/config';

/**
 * Loads `rimuru.config.ts` / `.js` / `.cjs` without a TypeScript runtime and without writing a
 * compiled copy next to the user's file (cosmiconfig's own TS loader does both). The file is
 * transpiled to CommonJS in memory and run with a `require` that answers `@rimuru/sdk` with the
 * SDK's config module: the SDK package's `main` is TypeScript source Node cannot load, and
 * `defineConfig` is all a config file needs from it. Every other specifier resolves from the
 * config file's directory as usual.
 */

const SDK_SPECIFIER = '@rimuru/sdk';
const CJS_PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'];

// Loaded on first use: the compiler is a 9 MB module (~180 ms to load), and most runs have no
// TypeScript config file to transpile.
let typescript: typeof TypeScript | undefined;

function transpile(filepath: string, source: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = (typescript ??= require('typescript') as typeof TypeScript);
  const output = ts.transpileModule(source, {
    fileName: filepath,
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      allowJs: true,
      sourceMap: false,
    },
  });
  const errors = (output.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    // transpileModule emits best-effort code for broken syntax; running that would hide the real problem.
    const first = errors[0];
    const text = ts.flattenDiagnosticMessageText(first.messageText, '\n');
    const where =
      first.file && first.start !== undefined ? first.file.getLineAndCharacterOfPosition(first.start) : undefined;
    throw new SyntaxError(where ? `${text} (line ${where.line + 1}, column ${where.character + 1})` : text);
  }
  return output.outputText;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** What the config file exports: its default export if it has one, else `module.exports`. */
export async function loadConfigModule(filepath: string, source: string): Promise<unknown> {
  const code = transpile(filepath, source);
  const baseRequire = createRequire(filepath);
  const configRequire = Object.assign((id: string): unknown => (id === SDK_SPECIFIER ? sdkConfig : baseRequire(id)), {
    resolve: baseRequire.resolve,
  });
  const module: { exports: unknown } = { exports: {} };
  const run = vm.compileFunction(code, CJS_PARAMETERS, { filename: filepath });
  run.call(module.exports, module.exports, configRequire, module, filepath, path.dirname(filepath));

  const exported = module.exports;
  const value = isObject(exported) && exported.__esModule === true && 'default' in exported ? exported.default : exported;
  // Returning a thenable from an async function adopts it, so `export default (async () => ({ … }))()`
  // works for configs that must read something first.
  return value;
}
