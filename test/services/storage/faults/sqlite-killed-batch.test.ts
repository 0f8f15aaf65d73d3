import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { Database, upsertUsageRecords } from '../../../../kernel/services/storage';
import { describeSqlite } from '../backends';
import { usageRecords } from '../usage-records';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
// Uncommitted pages spill from SQLite's page cache into the WAL as the batch runs, so a WAL
// this much larger than before proves the batch was half-written when it was killed.
const WAL_GROWTH_BEFORE_KILL = 8 * 1024 * 1024;

function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

describeSqlite('a SQLite batch killed mid-way', (backend) => {
  it('leaves exactly the previous state and an intact database', async () => {
    const options = await backend.isolatedOptions();
    const bundle = path.join(options.dataDir, 'sqlite-batch-writer.js');
    await build({
      entryPoints: [path.join(__dirname, 'fixtures', 'sqlite-batch-writer.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      logLevel: 'silent',
    });

    const seed = await Database.connect(options);
    await seed.runMigrations();
    await upsertUsageRecords(seed, usageRecords(1_000));
    const before = await seed.knex('usage_records').select('*').orderBy('id');
    const file = path.join(options.dataDir, 'rimuru.db');
    await seed.close();
    const baseline = walSize(file);

    const child = spawn(process.execPath, [bundle, options.dataDir, '400000'], {
      env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );

    let killedAtWal = 0;
    const watching = setInterval(() => {
      if (!stdout.includes('writing')) return;
      const size = walSize(file);
      if (size > baseline + WAL_GROWTH_BEFORE_KILL) {
        killedAtWal = size;
        child.kill('SIGKILL');
        clearInterval(watching);
      }
    }, 1);
    const exit = await exited;
    clearInterval(watching);

    if (exit.signal !== 'SIGKILL') {
      throw new Error(`the writer was not killed mid-batch (exit ${String(exit.code)}, stdout ${JSON.stringify(stdout)}, stderr ${stderr})`);
    }
    expect(stdout).not.toContain('done');
    expect(killedAtWal).toBeGreaterThan(baseline + WAL_GROWTH_BEFORE_KILL);

    const reopened = await Database.connect(options);
    try {
      expect(await reopened.knex.raw('pragma integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(await reopened.knex('usage_records').select('*').orderBy('id')).toEqual(before);
      expect(await reopened.knex('usage_records').where('dedup_key', 'like', 'killed-batch-%').count({ n: '*' })).toEqual([{ n: 0 }]);
      // And it still takes writes.
      expect(await upsertUsageRecords(reopened, usageRecords(5, { keyPrefix: 'after' }))).toEqual({ inserted: 5, updated: 0, unchanged: 0 });
    } finally {
      await reopened.close();
    }
  });
});
