import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PluginRecord } from '../core/registry';
import { writeFileAtomic } from '../fs';

/**
 * `rimuru-kernel run` keeps a small status file in the data dir so that `rimuru-kernel status`,
 * run from another terminal, can tell whether a kernel is up and what it has loaded.
 */
export interface KernelStatusFile {
  pid: number;
  startedAt: string;
  updatedAt: string;
  plugins: Array<{ name: string; version: string; state: string; reason?: string }>;
}

export const KERNEL_STATUS_FILE = 'kernel-status.json';

export function statusFilePath(dataDir: string): string {
  return join(dataDir, KERNEL_STATUS_FILE);
}

export async function writeStatusFile(dataDir: string, status: KernelStatusFile): Promise<void> {
  await writeFileAtomic(statusFilePath(dataDir), JSON.stringify(status, null, 2), 0o644);
}

export async function removeStatusFile(dataDir: string): Promise<void> {
  await rm(statusFilePath(dataDir), { force: true });
}

/** The status of a live kernel, or `null` when none runs (a stale file from a crash is ignored). */
export async function readLiveStatus(dataDir: string): Promise<KernelStatusFile | null> {
  let status: KernelStatusFile;
  try {
    status = JSON.parse(await readFile(statusFilePath(dataDir), 'utf8')) as KernelStatusFile;
  } catch {
    return null;
  }
  return isAlive(status.pid) ? status : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function pluginSummary(record: PluginRecord): KernelStatusFile['plugins'][number] {
  return { name: record.name, version: record.version, state: record.state, ...(record.reason ? { reason: record.reason } : {}) };
}
