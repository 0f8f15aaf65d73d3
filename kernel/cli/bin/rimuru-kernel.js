#!/usr/bin/env -S node --no-node-snapshot --no-flush-bytecode
'use strict';
// Every process that creates isolated-vm isolates must run with --no-node-snapshot (Node 20
// crashes otherwise). The shebang passes it; when started another way (`node rimuru-kernel.js`,
// a Windows shim) we re-exec ourselves with the flags.
//
// --no-flush-bytecode: V8 drops the bytecode of functions a long run has not used for a while,
// and the code cache (load-cli.js) is written at the exit of the first run after a build; when
// that run was a long first ingest the cache lacked the start-up functions, and every later
// report compiled them again (warm report 0.55 → 0.64 s). The CLI's bytecode is a few MB.
// (The ingest tightens V8's heap growth itself while it reads: kernel/services/ingestion/heap-growth.ts.)
const FLAGS = ['--no-node-snapshot', '--no-flush-bytecode'];
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
