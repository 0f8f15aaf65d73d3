import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliResult } from '../cli-process';

/**
 * A temp home and data dir for running the real `rimuru-kernel` bin against a store the test
 * filled (see `report-store.ts`).
 */
export interface ReportSandbox {
  home: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  run(...args: string[]): Promise<CliResult>;
  /** Runs the command and parses its stdout; fails with stderr when it exits non-zero or prints no JSON. */
  json<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  remove(): Promise<void>;
}

export async function createReportSandbox(extraEnv: NodeJS.ProcessEnv = {}): Promise<ReportSandbox> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'rimuru-reports-'));
  const dataDir = path.join(home, 'data');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, RIMURU_DATA_DIR: dataDir, RIMURU_LOG_LEVEL: 'warn', TZ: 'UTC', ...extraEnv };
  const run = (...args: string[]) => runCli(args, env, home);
  return {
    home,
    dataDir,
    env,
    run,
    async json<T>(...args: string[]): Promise<T> {
      const result = await run(...args);
      if (result.code !== 0) throw new Error(`rimuru-kernel ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
      try {
        return JSON.parse(result.stdout) as T;
      } catch {
        throw new Error(`rimuru-kernel ${args.join(' ')} printed no JSON:\n${result.stdout}\n${result.stderr}`);
      }
    },
    remove: () => fs.rm(home, { recursive: true, force: true }),
  };
}
