import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BIN } from './cli-process';

/** `rimuru-kernel models list --json | head -c 100`: the reader closes early; the CLI stops quietly. */
it('exits quietly when the reader of its output goes away (EPIPE)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rimuru-epipe-'));
  try {
    const result = spawnSync('bash', ['-c', `set -o pipefail; "${BIN}" models list --json | head -c 100 > /dev/null`], {
      env: { PATH: process.env.PATH, HOME: dir, RIMURU_DATA_DIR: path.join(dir, 'data') },
      cwd: dir,
      encoding: 'utf8',
    });
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(result.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
