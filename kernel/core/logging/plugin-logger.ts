import type { Logger } from 'pino';

/** A child of the root logger whose every line carries `{ plugin: pluginName }`. */
export function pluginLogger(root: Logger, pluginName: string): Logger {
  return root.child({ plugin: pluginName });
}
