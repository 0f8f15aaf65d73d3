import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type BuildFailure, type Message } from 'esbuild';
import { ErrorCodes, errorMessage, SandboxError } from '../../kernel/core/errors';
import { BUNDLE_GLOBAL } from '../../sdk/src/protocol';
import { importGuard } from './import-guard';
import { defaultSdkEntry } from './sdk-entry';

export interface BundlePluginOptions {
  /** Also write the bundle here (directories are created). */
  outfile?: string;
  /** The `@rimuru/sdk` entry to bundle in; defaults to this kernel's own SDK. */
  sdkEntry?: string;
}

export interface PluginBundle {
  /** One IIFE script that defines `__rimuru_bundle__`, ready for `PluginSandbox.start`. */
  code: string;
}

/**
 * Bundles a plugin's entry file and everything it imports into the one script its isolate runs.
 *
 * The bundle targets no platform (`neutral`): an isolate has no Node, so a Node built-in import
 * fails the build here, naming the file, instead of failing inside the sandbox later. The SDK is
 * bundled in from this kernel, so a plugin always speaks the wire protocol of the host running it.
 */
export async function bundlePlugin(entryFile: string, options: BundlePluginOptions = {}): Promise<PluginBundle> {
  const entry = path.resolve(entryFile);
  const sdkEntry = options.sdkEntry ? path.resolve(options.sdkEntry) : defaultSdkEntry();
  let code: string;
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: BUNDLE_GLOBAL,
      platform: 'neutral',
      target: 'es2022',
      // `neutral` looks at no package.json fields by default; plugins' npm dependencies need these.
      mainFields: ['module', 'main'],
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [importGuard(sdkEntry)],
    });
    const output = result.outputFiles[0];
    if (!output) throw new Error('esbuild produced no output');
    code = output.text;
  } catch (cause) {
    throw new SandboxError(ErrorCodes.SANDBOX_BAD_BUNDLE, `Cannot bundle plugin ${entry}: ${describeFailure(cause)}`, {
      cause,
      details: { entry },
    });
  }
  if (options.outfile) {
    await mkdir(path.dirname(path.resolve(options.outfile)), { recursive: true });
    await writeFile(options.outfile, code);
  }
  return { code };
}

function isBuildFailure(value: unknown): value is BuildFailure {
  return value instanceof Error && Array.isArray((value as Partial<BuildFailure>).errors);
}

function describeFailure(cause: unknown): string {
  if (!isBuildFailure(cause) || cause.errors.length === 0) return errorMessage(cause);
  return cause.errors.map(describeMessage).join('; ');
}

function describeMessage(message: Message): string {
  const where = message.location ? `${message.location.file}:${message.location.line}:${message.location.column}: ` : '';
  return `${where}${message.text}`;
}
