import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where `@rimuru/sdk` is, for the bundler's alias. Resolved from this file so it works both
 * from the source tree (`sandbox/bundler/`) and from the compiled one (`dist/sandbox/bundler/`):
 * the TypeScript source is preferred, since esbuild compiles it and it is never stale.
 */
export function defaultSdkEntry(): string {
  const candidates = [
    path.resolve(__dirname, '../../sdk/src/index.ts'),
    path.resolve(__dirname, '../../../sdk/src/index.ts'),
    path.resolve(__dirname, '../../sdk/src/index.js'),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`the Rimuru SDK was not found next to the kernel (looked for ${candidates.join(', ')})`);
  return found;
}
