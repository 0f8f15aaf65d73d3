import os from 'node:os';

/** What the host looks like right now. */
export interface HostSample {
  /** Busy share of every CPU since the previous sample, 0–100; null for the first sample. */
  cpuPercent: number | null;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  /** This process. */
  processRssBytes: number;
  processHeapUsedBytes: number;
  processCpuPercent: number | null;
  loadAverage1m: number;
}

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + idle + irq;
  }
  return { busy, total };
}

/**
 * Samples CPU and memory. CPU % is a difference of cumulative counters, so each sample covers
 * the time since the one before (the first has none). Memory used = total − available
 * (`os.freemem` is MemAvailable on Linux: page cache the kernel can drop counts as free).
 */
export class SystemSampler {
  private last?: { cpu: CpuTimes; process: NodeJS.CpuUsage; at: bigint };

  sample(): HostSample {
    const cpu = cpuTimes();
    const processCpu = process.cpuUsage();
    const at = process.hrtime.bigint();
    let cpuPercent: number | null = null;
    let processCpuPercent: number | null = null;
    if (this.last) {
      const total = cpu.total - this.last.cpu.total;
      cpuPercent = total > 0 ? clampPercent(((cpu.busy - this.last.cpu.busy) / total) * 100) : 0;
      const wallUs = Number(at - this.last.at) / 1000;
      const usedUs = processCpu.user + processCpu.system - (this.last.process.user + this.last.process.system);
      processCpuPercent = wallUs > 0 ? Math.max(0, (usedUs / wallUs) * 100) : 0;
    }
    this.last = { cpu, process: processCpu, at };
    const memoryTotalBytes = os.totalmem();
    const memory = process.memoryUsage();
    return {
      cpuPercent,
      memoryUsedBytes: Math.max(0, memoryTotalBytes - os.freemem()),
      memoryTotalBytes,
      processRssBytes: memory.rss,
      processHeapUsedBytes: memory.heapUsed,
      processCpuPercent,
      loadAverage1m: os.loadavg()[0] ?? 0,
    };
  }
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value * 100) / 100));
}
