#!/usr/bin/env -S node --no-node-snapshot
'use strict';
// Every process that creates isolated-vm isolates must run with --no-node-snapshot (Node 20
// crashes otherwise). The shebang passes it; when started another way (`node rimuru-kernel.js`,
// a Windows shim) we re-exec ourselves with the flag.
if (!process.execArgv.includes('--no-node-snapshot')) {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  return;
}

const path = require('node:path');
const main = path.join(__dirname, '..', '..', '..', 'dist', 'kernel', 'cli', 'main.js');
let cli;
try {
  cli = require(main);
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
