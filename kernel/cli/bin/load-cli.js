'use strict';
/**
 * Loads the CLI for the bin: the one-file bundle `dist/cli/rimuru-kernel.js` (see
 * `kernel/cli/build-cli-bundle.ts`) compiled with a V8 code cache, when the bundle is there and
 * no file it was made from has been rebuilt since; otherwise the plain `dist/kernel/cli/main.js`.
 *
 * The code cache lives in `$XDG_CACHE_HOME/rimuru/v8` (default `~/.cache/rimuru/v8`): a user's
 * own folder, since a cache is code the process runs. It is keyed by the bundle (path, size,
 * mtime), the Node version, architecture and flags; V8 itself rejects one that does not match
 * the source. It is written when the process exits, so it holds the functions the command
 * compiled, atomically (temp file, rename). Anything going wrong with it only costs the cache.
 * `RIMURU_NO_COMPILE_CACHE=1` turns it off.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const { createRequire } = require('node:module');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');

function bundleIsCurrent(root) {
  try {
    const inputs = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'cli', 'inputs.json'), 'utf8'));
    for (const [file, mtimeMs] of Object.entries(inputs)) {
      if (fs.statSync(path.join(root, file)).mtimeMs !== mtimeMs) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function cacheFileFor(bundle) {
  if (process.env.RIMURU_NO_COMPILE_CACHE) return null;
  const stat = fs.statSync(bundle);
  const key = crypto
    .createHash('sha256')
    .update([bundle, stat.size, stat.mtimeMs, process.version, process.arch, process.execArgv.join(' ')].join('\0'))
    .digest('hex')
    .slice(0, 32);
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'rimuru', 'v8', `${key}.bin`);
}

function writeCache(cacheFile, script) {
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    const temp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temp, cacheFile);
  } catch {
    // A cache we cannot write only costs the next start its compile.
  }
}

function loadBundle(bundle) {
  const source = fs.readFileSync(bundle, 'utf8');
  const cacheFile = cacheFileFor(bundle);
  let cachedData;
  if (cacheFile !== null) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapper, { filename: bundle, cachedData });
  const mod = { exports: {}, filename: bundle, id: bundle, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
  mod.loaded = true;
  if (cacheFile !== null && (cachedData === undefined || script.cachedDataRejected)) process.once('exit', () => writeCache(cacheFile, script));
  return mod.exports;
}

/** The CLI module (`main(argv)`) of the kernel package at `root`. */
function loadCli(root) {
  const bundle = path.join(root, 'dist', 'cli', 'rimuru-kernel.js');
  if (fs.existsSync(bundle) && bundleIsCurrent(root)) return loadBundle(bundle);
  return require(path.join(root, 'dist', 'kernel', 'cli', 'main.js'));
}

module.exports = { loadCli };
