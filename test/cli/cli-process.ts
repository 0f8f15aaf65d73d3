import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Runs the real `rimuru-kernel` bin as npx does: executed directly, so its shebang passes
 * `--no-node-snapshot` (kernel/cli/bin → dist/, built by `npm test`'s build step)
 * as a user would, in its own environment.
 */
export const BIN = path.resolve(__dirname, '../../kernel/cli/bin/rimuru-kernel.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Starts a long-running command and resolves once its stdout matches `ready`. */
export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  ready: RegExp,
): Promise<{ child: ChildProcess; output: () => CliResult; exited: Promise<CliResult> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env, cwd });
    let stdout = '';
    let stderr = '';
    let resolved = false;
    const output = (): CliResult => ({ code: child.exitCode, signal: child.signalCode as NodeJS.Signals | null, stdout, stderr });
    const exited = new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      if (!resolved && ready.test(stdout)) {
        resolved = true;
        resolve({ child, output, exited });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    void exited.then((result) => {
      if (!resolved) reject(new Error(`exited before ready (code ${result.code}):\n${result.stdout}\n${result.stderr}`));
    });
  });
}
