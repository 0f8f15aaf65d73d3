#!/usr/bin/env -S node --no-node-snapshot --heap-growing-percent=25
'use strict';
// Every process that creates isolated-vm isolates must run with --no-node-snapshot (Node 20
// crashes otherwise). The shebang passes it; when started another way (`node rimuru-kernel.js`,
// a Windows shim) we re-exec ourselves with the flag.
//
// --heap-growing-percent=25: V8 grows a heap by far more than that after each collection, so an
// ingest that allocates and drops gigabytes of log text held ~300 MB of garbage at its peak
// (cold 1 GB ingest: 724 MB peak RSS, 435 MB with the flag, ~10% more time in GC). It makes
// collection earlier, never fails an allocation (unlike --max-old-space-size), and is
// process-wide, so the plugins' isolates follow it too.
const FLAGS = ['--no-node-snapshot', '--heap-growing-percent=25'];
if (!process.execArgv.includes('--no-node-snapshot')) {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [...FLAGS, ...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  return;
}

// `rimuru-kernel models list --json | head`: the reader went away; stop quietly, like other CLIs.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const path = require('node:path');
const { loadCli } = require('./load-cli');
const root = path.join(__dirname, '..', '..', '..');
const main = path.join(root, 'dist', 'kernel', 'cli', 'main.js');
let cli;
try {
  cli = loadCli(root);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(main)) {
    process.stderr.write('rimuru-kernel is not built yet: run `npm install` (or `npm run build`) in ' + path.resolve(__dirname, '..', '..', '..') + '\n');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(String(err && err.stack ? err.stack : err) + '\n'); process.exitCode = 1; },
);
