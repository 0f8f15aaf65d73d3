import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kernelPackageRoot } from '../../../kernel/cli/package-root';
import { Database, upsertUsageRecords } from '../../../kernel/services/storage';
import { EXPORT_COLUMNS } from '../../../sdk/src/kinds/exporter';
import { compare, type Comparison, type Figure, type SuiteResult } from '../bench-result';
import { elapsedMs, now, summarize, summarizeRate } from '../measure';
import { measureProcess, type ProcessRun } from '../process-run';
import { UsageHistory } from '../usage-history';

/**
 * `export`: 1,000,000 cost records (the storage suite's seeded history) in a temp SQLite
 * store, exported to each format by the real command as a user runs it —
 * `rimuru-kernel export costs --format <f> -o <file> --no-ingest --tz UTC` — against a
 * baseline measured in the same run: a Node script that reads the same rows with the bare
 * driver (better-sqlite3 `iterate()`, one statement) and writes them with a minimal inline
 * serializer, byte for byte the same file. Each is a child process: wall time from spawn to
 * exit, peak memory = VmHWM over its tree. Before anything counts, both files of every run
 * must be identical (sha256), so the two did the same work.
 */

const RECORDS = Number(process.env.RIMURU_BENCH_EXPORT_RECORDS ?? 1_000_000);
const RUNS = Math.max(1, Number(process.env.RIMURU_BENCH_EXPORT_RUNS ?? 3));
const FORMATS = ['csv', 'json', 'xml'] as const;
type Format = (typeof FORMATS)[number];
const SEED = 20_261_121;
const NOW = Date.UTC(2026, 10, 21, 14, 37, 12, 345);
const BIN = path.join(kernelPackageRoot(), 'kernel', 'cli', 'bin', 'rimuru-kernel.js');

/**
 * The baseline: the same columns and the same text, no pages, no isolate, no checks. Shares
 * nothing with the exporters' code; the bench compares the two files byte for byte.
 */
const BASELINE_SCRIPT = String.raw`
const Database = require(process.env.BETTER_SQLITE3);
const fs = require('node:fs');
const [file, format, out] = process.argv.slice(2);
const db = new Database(file, { readonly: true });
const COLUMNS = JSON.parse(process.env.COLUMNS);
const rows = db.prepare('select id, recorded_at, session_id, agent_type, model, provider, input_tokens, output_tokens, cache_write_tokens, cache_write_1h_tokens, cache_read_tokens, reasoning_tokens, cost_usd, cost_source from usage_records order by recorded_at, id').raw(true).iterate();
const csv = (v) => v === null ? '' : (typeof v === 'string' && /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : String(v));
const xml = (v) => String(v).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD').replace(/[&<>"'\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' })[c]);
function cells(r) {
  return [r[0], new Date(r[1]).toISOString(), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[6] + r[7] + r[8] + r[10], r[12], r[13]];
}
const stream = fs.createWriteStream(out, { highWaterMark: 1 << 20 });
let buffer = format === 'csv' ? COLUMNS.join(',') + '\r\n' : format === 'json' ? '[' : '<?xml version="1.0" encoding="UTF-8"?>\n<costs>\n';
let first = true;
function flush(done) {
  const ok = stream.write(buffer);
  buffer = '';
  if (ok) setImmediate(done); else stream.once('drain', done);
}
function pump() {
  let count = 0;
  for (;;) {
    const next = rows.next();
    if (next.done) {
      buffer += format === 'json' ? ']\n' : format === 'xml' ? '</costs>\n' : '';
      stream.end(buffer);
      return;
    }
    const c = cells(next.value);
    if (format === 'csv') buffer += c.map(csv).join(',') + '\r\n';
    else if (format === 'json') {
      const o = {};
      for (let i = 0; i < COLUMNS.length; i++) o[COLUMNS[i]] = c[i];
      buffer += (first ? '' : ',') + JSON.stringify(o);
    } else {
      let line = '  <cost>';
      for (let i = 0; i < COLUMNS.length; i++) if (c[i] !== null) line += '<' + COLUMNS[i] + '>' + (typeof c[i] === 'number' ? String(c[i]) : xml(c[i])) + '</' + COLUMNS[i] + '>';
      buffer += line + '</cost>\n';
    }
    first = false;
    if (++count === 5000) return flush(pump);
  }
}
pump();
`;

function fail(what: string): never {
  throw new Error(`export bench: ${what}`);
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

async function fillStore(dataDir: string): Promise<number> {
  const database = await Database.connect({ dataDir, maxConnections: 1, minConnections: 0, connectTimeoutMs: 10_000, idleTimeoutMs: 30_000 });
  try {
    await database.runMigrations();
    const history = new UsageHistory({ seed: SEED, records: RECORDS, sessions: 2_000, days: 180, to: NOW, batchSize: 10_000 });
    const start = now();
    for (let index = 0; index < history.batches; index++) {
      const result = await upsertUsageRecords(database, history.batch(index));
      if (result.inserted !== history.batch(index).length) fail(`batch ${index} inserted ${result.inserted}`);
    }
    return elapsedMs(start);
  } finally {
    await database.close();
  }
}

interface FormatRuns {
  ours: ProcessRun[];
  baseline: ProcessRun[];
  /** The export loop alone (the command's own --json summary: read, plugin, write), per run. */
  loopMs: number[];
  bytes: number;
}

export async function exportSuite(): Promise<SuiteResult> {
  const began = now();
  const work = mkdtempSync(path.join(tmpdir(), 'rimuru-bench-export-'));
  const dataDir = path.join(work, 'data');
  const home = path.join(work, 'home');
  const script = path.join(work, 'baseline.js');
  writeFileSync(script, BASELINE_SCRIPT);
  const env = { PATH: process.env.PATH, HOME: home, TZ: 'UTC', RIMURU_DATA_DIR: dataDir, RIMURU_LOG_LEVEL: 'warn' };
  const baselineEnv = { ...env, BETTER_SQLITE3: require.resolve('better-sqlite3'), COLUMNS: JSON.stringify(EXPORT_COLUMNS.costs.map((column) => column.name)) };
  const results = new Map<Format, FormatRuns>();
  let loadMs = 0;
  try {
    process.stderr.write(`bench export: writing ${RECORDS.toLocaleString('en-US')} cost records into a SQLite store…\n`);
    loadMs = await fillStore(dataDir);
    const dbFile = path.join(dataDir, 'rimuru.db');
    for (const format of FORMATS) {
      const runs: FormatRuns = { ours: [], baseline: [], loopMs: [], bytes: 0 };
      for (let round = 0; round < RUNS; round++) {
        process.stderr.write(`bench export: ${format} ${round + 1}/${RUNS}…\n`);
        const ourFile = path.join(work, `ours.${format}`);
        const baseFile = path.join(work, `baseline.${format}`);
        // Alternate who goes first, so a change in the machine's load falls on both.
        const runOurs = async (): Promise<void> => {
          const run = await measureProcess(BIN, ['export', 'costs', '--format', format, '-o', ourFile, '--no-ingest', '--tz', 'UTC', '--json'], env, work);
          const summary = JSON.parse(run.stdout) as { rows: number; durationMs: number; bytes: number };
          if (summary.rows !== RECORDS) fail(`${format}: exported ${summary.rows} rows, not ${RECORDS}`);
          runs.ours.push(run);
          runs.loopMs.push(summary.durationMs);
        };
        const runBaseline = async (): Promise<void> => {
          runs.baseline.push(await measureProcess(process.execPath, [script, dbFile, format, baseFile], baselineEnv, work));
        };
        if (round % 2 === 0) {
          await runOurs();
          await runBaseline();
        } else {
          await runBaseline();
          await runOurs();
        }
        const [oursHash, baseHash] = await Promise.all([sha256(ourFile), sha256(baseFile)]);
        if (oursHash !== baseHash) fail(`${format}: our file and the baseline's differ (${statSync(ourFile).size} / ${statSync(baseFile).size} bytes); compare ${ourFile} and ${baseFile}`);
        runs.bytes = statSync(ourFile).size;
        rmSync(ourFile);
        rmSync(baseFile);
      }
      results.set(format, runs);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const comparisons: Comparison[] = [];
  const figures: Figure[] = [{ id: 'export.load', label: `writing the ${RECORDS.toLocaleString('en-US')} records into the store (setup, not timed against anything)`, unit: 'ms', value: loadMs }];
  for (const [format, runs] of results) {
    const rate = (run: ProcessRun): number => RECORDS / (run.wallMs / 1000);
    const speed = compare({
      id: `export.${format}.rate`,
      label: `export costs --format ${format} -o file, ${RECORDS.toLocaleString('en-US')} records: rows/s, spawn to exit`,
      unit: 'events/s',
      ours: summarizeRate(runs.ours.map(rate)),
      baselineLabel: 'bare better-sqlite3 iterate() + inline serializer writing the identical file',
      baseline: summarizeRate(runs.baseline.map(rate)),
    });
    speed.note = `${runs.ours.length} runs each, alternating; file ${(runs.bytes / 1_048_576).toFixed(0)} MB; ours includes start, config, store and kernel boot (every plugin)`;
    const memory = compare({
      id: `export.${format}.memory`,
      label: `export costs --format ${format}: peak memory (VmHWM)`,
      unit: 'MB',
      ours: summarize(runs.ours.map((run) => run.peakMb)),
      baselineLabel: 'the same baseline',
      baseline: summarize(runs.baseline.map((run) => run.peakMb)),
    });
    comparisons.push(speed, memory);
    figures.push({ id: `export.${format}.loop`, label: `${format}: rows/s of the export loop alone (read, plugin, write; median)`, unit: 'events/s', value: summarizeRate(runs.loopMs.map((ms) => RECORDS / (ms / 1000))).median });
    figures.push({ id: `export.${format}.bytes`, label: `${format}: file size`, unit: 'MB', value: runs.bytes / 1_048_576 });
  }
  return { suite: 'export', title: `Export: ${RECORDS.toLocaleString('en-US')} cost records to CSV, JSON and XML`, comparisons, figures, durationMs: elapsedMs(began) };
}
