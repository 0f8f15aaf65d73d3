/**
 * The isolate side of the sandbox: a closure evaluated in the plugin's context *before* the
 * bundle, so everything it relies on (Reflect.apply, String.prototype.slice, Promise, JSON) is
 * captured before plugin code could replace it.
 *
 * What it guards is the host, not the plugin: a plugin can only break its own promises by
 * tampering with globals, but it must never make the host copy an unbounded value out of the
 * isolate. So the size and type checks on everything that leaves (call results, error texts,
 * capability arguments) happen here, before isolated-vm copies anything, and again on the host.
 *
 * Arguments (evalClosure `$n`):
 *   $0 rawHostCall   ivm.Callback (ignored mode): (id, capability, method, argsJson) → void
 *   $1 maxResultChars  $2 maxArgsChars  $3 maxPendingHostCalls  $4 bundleGlobal  $5 hostCallGlobal
 *
 * Returns `{ settle, bind, dispatch }`, reachable only through host-held References.
 */
export const BRIDGE_SOURCE = String.raw`
'use strict';
const rawHostCall = $0;
const maxResultChars = $1;
const maxArgsChars = $2;
const maxPendingHostCalls = $3;
const bundleGlobal = $4;
const hostCallGlobal = $5;

const reflectApply = Reflect.apply;
const defineProperty = Object.defineProperty;
const stringSlice = String.prototype.slice;
const stringify = JSON.stringify;
const PromiseCtor = Promise;
const ErrorCtor = Error;
const global = globalThis;
const MAX_ERROR_CHARS = 8192;
const MAX_NAME_CHARS = 64;

// Null prototype: no inherited accessor a plugin could plant on Object.prototype is consulted.
const pending = Object.create(null);
let pendingCount = 0;
let nextId = 1;

function wireError(code, message) {
  return new ErrorCtor(stringify({ code: code, message: message }));
}

function shortName(value) {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_CHARS;
}

function hostCall(capability, method, argsJson) {
  if (!shortName(capability) || !shortName(method)) {
    return PromiseCtor.reject(wireError('E2010', 'capability and method must be names of at most ' + MAX_NAME_CHARS + ' characters'));
  }
  if (typeof argsJson !== 'string') {
    return PromiseCtor.reject(wireError('E2010', 'arguments of ' + capability + '.' + method + ' must be a JSON string'));
  }
  if (argsJson.length > maxArgsChars) {
    return PromiseCtor.reject(wireError('E2010', 'arguments of ' + capability + '.' + method + ' are ' + argsJson.length + ' characters, more than the ' + maxArgsChars + ' a capability call may carry'));
  }
  if (pendingCount >= maxPendingHostCalls) {
    return PromiseCtor.reject(wireError('E2010', 'more than ' + maxPendingHostCalls + ' capability calls are already waiting for the host; await some before starting more'));
  }
  const id = nextId++;
  return new PromiseCtor(function (resolve, reject) {
    pending[id] = { resolve: resolve, reject: reject };
    pendingCount++;
    rawHostCall(id, capability, method, argsJson);
  });
}

defineProperty(global, hostCallGlobal, { value: hostCall, writable: false, enumerable: false, configurable: false });

function settle(id, ok, payload) {
  const entry = pending[id];
  if (entry === undefined) return;
  delete pending[id];
  pendingCount--;
  if (ok) entry.resolve(payload);
  else entry.reject(new ErrorCtor(payload));
}

let runtime = null;
let runtimeDispatch = null;

// Returns '' when the bundle's default export is a Rimuru runtime, else what is wrong with it.
function bind() {
  const bundle = global[bundleGlobal];
  if (bundle === null || (typeof bundle !== 'object' && typeof bundle !== 'function')) {
    return 'the bundle did not define the global "' + bundleGlobal + '" (build it with the Rimuru bundler)';
  }
  const candidate = bundle.default;
  if (candidate === null || typeof candidate !== 'object') {
    return 'the bundle has no default export (export default definePlugin(...))';
  }
  if (candidate.__rimuru !== 1 || typeof candidate.dispatch !== 'function') {
    return 'the default export is not a Rimuru plugin (export default the value of definePlugin or a define* helper)';
  }
  runtime = candidate;
  runtimeDispatch = candidate.dispatch;
  return '';
}

function errorText(error) {
  let message;
  try {
    message = error !== null && (typeof error === 'object' || typeof error === 'function') ? error.message : error;
  } catch (_) {
    message = undefined;
  }
  if (typeof message !== 'string') return 'the plugin threw a value without a message (' + typeof message + ')';
  return message.length > MAX_ERROR_CHARS ? reflectApply(stringSlice, message, [0, MAX_ERROR_CHARS]) + '…' : message;
}

async function dispatch(method, argsJson, payload) {
  if (runtimeDispatch === null) return { t: 'threw', message: 'the plugin runtime is not bound' };
  let out;
  try {
    out = await reflectApply(runtimeDispatch, runtime, payload === undefined ? [method, argsJson] : [method, argsJson, payload]);
  } catch (error) {
    return { t: 'threw', message: errorText(error) };
  }
  if (typeof out !== 'string') return { t: 'type', type: out === null ? 'null' : typeof out };
  if (out.length > maxResultChars) return { t: 'big', chars: out.length };
  return { t: 'ok', value: out };
}

return { settle: settle, bind: bind, dispatch: dispatch };
`;
