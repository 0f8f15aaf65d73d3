import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { elapsedMs, now } from './measure';

/**
 * Runs a command to its exit as a child process and measures it: wall time from spawn to exit
 * and peak memory, the sum of VmHWM over the process tree polled from /proc every
 * {@link POLL_MS} ms (and whenever it writes to stdout). Linux only.
 */

const POLL_MS = 20;

export interface ProcessRun {
  wallMs: number;
  /** Sum of VmHWM over every process of the tree, MB. */
  peakMb: number;
  /** The largest single process's VmHWM, MB. */
  largestMb: number;
  stdout: string;
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) children.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process is gone
  }
  return children;
}

function hwmKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Rejects with the tail of stderr when the command exits non-zero. */
export function measureProcess(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const peaks = new Map<number, number>();
    const poll = (): void => {
      if (child.pid === undefined) return;
      const pending = [child.pid];
      while (pending.length > 0) {
        const pid = pending.pop() as number;
        const kb = hwmKb(pid);
        if (kb !== undefined) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kb));
        pending.push(...childrenOf(pid));
      }
    };
    const timer = setInterval(poll, POLL_MS);
    poll();
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      poll();
      out.push(data);
    });
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      const wallMs = elapsedMs(start);
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`${path.basename(command)} ${args.join(' ')} exited ${code ?? signal}:\n${stderr.slice(-4000)}`));
      const values = [...peaks.values()];
      resolve({ wallMs, peakMb: values.reduce((sum, kb) => sum + kb, 0) / 1024, largestMb: Math.max(0, ...values) / 1024, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}
