import { PermissionDeniedError } from '../../kernel/core/errors';

/** The manifest key a refusal can be fixed in. */
export type PermissionKey = 'fs.read' | 'fs.write' | 'sqlite' | 'net' | 'exec' | 'env' | 'data' | 'hooks.emit';

/**
 * Builds the one shape of refusal every gate check uses, so a user always learns which plugin
 * asked, for what, and which line of the manifest would allow it.
 */
export function permissionDenied(
  plugin: string,
  key: PermissionKey,
  requested: string,
  reason: string,
  fix = `add it to rimuru.permissions["${key}"] in the plugin's package.json`,
): PermissionDeniedError {
  return new PermissionDeniedError(
    `plugin "${plugin}" was refused ${key} of "${requested}": ${reason}. To allow it, ${fix}.`,
    { details: { plugin, capability: key, requested } },
  );
}
