import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import { isRate, type BenchUnit, type SuiteResult } from './bench-result';

/** The machine a run was measured on: figures from different machines do not compare. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryGb: number;
  platform: string;
  arch: string;
  node: string;
  v8: string;
  isolatedVm: string;
  /** 1, 5 and 15 minute load averages when the run started and ended: other work on the machine shows here. */
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
}

export interface BenchReport {
  date: string;
  machine: MachineInfo;
  /** How each `ratio` reads. */
  ratio: string;
  durationMs: number;
  suites: SuiteResult[];
}

export const RATIO_MEANING = 'our cost / baseline cost at the median (times: ours / baseline; rates: baseline / ours); above 1 = slower than the baseline';

export function machineInfo(loadAverageAtStart: number[]): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    node: process.version,
    v8: process.versions.v8,
    isolatedVm: packageVersion('isolated-vm'),
    loadAverageAtStart,
    loadAverageAtEnd: loadAverage(),
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

function packageVersion(name: string): string {
  try {
    const file = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function formatValue(value: number, unit: BenchUnit): string {
  if (!Number.isFinite(value)) return '—';
  if (isRate(unit)) return `${Math.round(value).toLocaleString('en-US')}/s`;
  if (unit === 'µs') return `${value.toFixed(value < 100 ? 1 : 0)} µs`;
  if (unit === 'MB') return `${value.toFixed(value < 100 ? 1 : 0)} MB`;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  return `${value.toFixed(2)} ms`;
}

/** The run as a table: one row per comparison, the suite's breakdown figures under it. */
export function renderReport(report: BenchReport): string {
  const { machine } = report;
  const lines: string[] = [
    `Rimuru kernel benchmarks — ${report.date}`,
    `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.totalMemoryGb} GB, ${machine.platform} ${machine.arch}, Node ${machine.node}, isolated-vm ${machine.isolatedVm}`,
    `load average ${machine.loadAverageAtStart.join(' ')} at start, ${machine.loadAverageAtEnd.join(' ')} at end`,
    '',
  ];
  const table = new Table({
    head: ['measurement', 'ours p50', 'ours p95', 'baseline', 'base p50', 'base p95', '×'],
    colWidths: [34, 12, 12, 34, 12, 12, 8],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const suite of report.suites) {
    for (const c of suite.comparisons) {
      table.push([
        c.label,
        formatValue(c.ours.median, c.unit),
        formatValue(c.ours.p95, c.unit),
        c.baselineLabel,
        formatValue(c.baseline.median, c.unit),
        formatValue(c.baseline.p95, c.unit),
        c.ratio.toFixed(2),
      ]);
    }
  }
  lines.push(table.toString(), `× = ${RATIO_MEANING}. For rates, p95 is the slow tail (95% of batches at least this fast).`, '');
  for (const suite of report.suites) {
    lines.push(`${suite.title} (${(suite.durationMs / 1000).toFixed(1)} s)`);
    const notes = new Set(suite.comparisons.flatMap((c) => (c.note ? [`  ${c.label}: ${c.note}`] : [])));
    lines.push(...notes);
    for (const f of suite.figures) lines.push(`  · ${f.label}: ${formatValue(f.value, f.unit)}`);
  }
  lines.push('', `total ${(report.durationMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

export async function writeReport(file: string, report: BenchReport): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}
