import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The kernel's package folder, found by walking up from this file: the same code runs from
 * `kernel/cli` (tests) and from `dist/kernel/cli` (the built bin).
 */
export function kernelPackageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'rimuru-kernel') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the rimuru-kernel package above ${from}`);
  }
}

export function kernelVersion(): string {
  return (JSON.parse(readFileSync(join(kernelPackageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
