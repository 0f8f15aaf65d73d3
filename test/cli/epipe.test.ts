import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BIN } from './cli-process';

/** `rimuru-kernel models list --json | head -c 100`: the reader closes early; the CLI stops quietly. */
it('exits quietly when the reader of its output goes away (EPIPE)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rimuru-epipe-'));
  try {
    const child = spawn(BIN, ['models', 'list', '--json'], { env: { PATH: process.env.PATH, HOME: dir, RIMURU_DATA_DIR: path.join(dir, 'data') }, cwd: dir });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    // Read the first bytes, then close the pipe, as `head -c 100` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
