import { ErrorCodes, PluginError, type ErrorCode } from '../errors';
import type { PluginManifest } from './manifest-schema';

/**
 * What the kernel knows about one plugin package, and the state machine it moves through:
 *
 *   installed → enabled → loaded → running
 *        ↘          ↘        ↘        ↘
 *         disabled · errored · quarantined   (each with a reason)
 *
 * `installed` is the state right after discovery; the registry then moves the plugin to
 * `enabled` or `disabled`. `loaded`/`running` belong to the lifecycle (the sandbox holds an
 * isolate). `errored` and `quarantined` are set when a plugin is broken or broke a limit; from
 * there only an explicit enable (a retry) or disable leads out.
 */

export const PLUGIN_STATES = ['installed', 'enabled', 'loaded', 'running', 'disabled', 'errored', 'quarantined'] as const;
export type PluginState = (typeof PLUGIN_STATES)[number];

export type PluginSource = 'builtin' | 'user';

const ALLOWED: Readonly<Record<PluginState, readonly PluginState[]>> = {
  installed: ['enabled', 'disabled', 'errored'],
  enabled: ['loaded', 'disabled', 'errored', 'quarantined'],
  // Back to `enabled` when the lifecycle unloads it (stop, or before a restart).
  loaded: ['running', 'enabled', 'disabled', 'errored', 'quarantined'],
  running: ['loaded', 'enabled', 'disabled', 'errored', 'quarantined'],
  disabled: ['enabled'],
  errored: ['enabled', 'disabled'],
  quarantined: ['enabled', 'disabled'],
};

/** States in which the plugin is wanted and not broken: dependents may rely on it. */
export const ACTIVE_STATES: ReadonlySet<PluginState> = new Set<PluginState>(['enabled', 'loaded', 'running']);

export function canTransition(from: PluginState, to: PluginState): boolean {
  return ALLOWED[from].includes(to);
}

export interface PluginRecord {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the plugin's package folder. */
  readonly dir: string;
  readonly source: PluginSource;
  /** `null` when the package.json could not be read or failed validation (state `errored`). */
  readonly manifest: PluginManifest | null;
  /** Absolute path of the bundle (`main`), or `null` without a valid manifest. */
  readonly bundlePath: string | null;
  /** Hex sha256 of the bundle as discovered; `null` when the bundle does not exist. */
  readonly integrity: string | null;
  readonly state: PluginState;
  /** Why the plugin is in its state, for `disabled`, `errored` and `quarantined`. */
  readonly reason?: string;
  /** The error code behind `reason`, when there is one. */
  readonly reasonCode?: ErrorCode;
  /** When the plugin entered its current state. */
  readonly since: Date;
}

export interface StateChange {
  to: PluginState;
  reason?: string;
  reasonCode?: ErrorCode;
  at: Date;
}

/**
 * The record in its new state. Staying in the same state with a new reason is allowed (a
 * disabled plugin can become disabled for a different reason). Throws `PluginError` E3008 for a
 * change the state machine forbids (e.g. `disabled → running`): that is a bug in the caller,
 * not a plugin problem.
 */
export function transition(record: PluginRecord, change: StateChange): PluginRecord {
  if (record.state !== change.to && !canTransition(record.state, change.to)) {
    throw new PluginError(
      ErrorCodes.PLUGIN_ILLEGAL_TRANSITION,
      `Plugin ${record.name} cannot go from ${record.state} to ${change.to} ` +
        `(from ${record.state} it may go to: ${ALLOWED[record.state].join(', ')})`,
      { details: { plugin: record.name, from: record.state, to: change.to } },
    );
  }
  const { reason: _reason, reasonCode: _code, ...rest } = record;
  return Object.freeze({
    ...rest,
    state: change.to,
    ...(change.reason === undefined ? {} : { reason: change.reason }),
    ...(change.reasonCode === undefined ? {} : { reasonCode: change.reasonCode }),
    since: change.at,
  });
}
