/**
 * The sandbox: plugins bundled into one script each, run in their own isolate with limits,
 * reaching the host only through permission-checked capabilities.
 */
export * from './isolate';
export * from './bundler';
export * from './capabilities';
export * from './permissions';
