import semver from 'semver';
import { ErrorCodes, PluginError, type ErrorCode } from '../errors';
import { KERNEL_API_VERSION } from '../version';
import { orderByDependencies, type DependencyNode } from './dependency-order';
import { discoverPlugins, type PluginCandidate } from './discovery';
import { ACTIVE_STATES, transition, type PluginRecord, type PluginState } from './plugin-record';
import type { PluginChoice, PluginStateStore } from './state-store';

/**
 * The plugin registry: which plugin packages exist, which of them may run, in what order, and
 * what state each is in. It reads manifests and hashes bundles; it never executes plugin code.
 *
 * Whether a plugin is wanted, strongest first:
 *   1. a stored choice (`rimuru-kernel plugin enable|disable <name>`),
 *   2. the config's `plugins.enabled[name]`,
 *   3. its source: built-ins are on, user-dir plugins are off — so nothing untrusted runs just
 *      because a folder appeared in the plugin dir.
 * A wanted plugin still runs only if `engines.rimuru` accepts this kernel's API version (E3002)
 * and its dependencies are available (E3003/E3004). The registry re-evaluates this after every
 * change and moves plugins between `enabled` and `disabled` accordingly; `loaded`, `running`,
 * `errored` and `quarantined` are set by the lifecycle through `setState`.
 */

export interface PluginStateChangeEvent {
  name: string;
  /** `null` when the plugin was just discovered. */
  from: PluginState | null;
  to: PluginState;
  reason?: string;
  reasonCode?: ErrorCode;
  record: PluginRecord;
}

export type PluginStateListener = (event: PluginStateChangeEvent) => void;

export interface PluginRegistryOptions {
  /** `plugins/` of the kernel; see `defaultBuiltinPluginDir()`. */
  builtinDir?: string;
  /** The resolved config's `plugins.dir`. */
  userDir?: string;
  stateStore: PluginStateStore;
  /** The resolved config's `plugins.enabled`. */
  configuredEnabled?: Readonly<Record<string, boolean>>;
  /** Default `KERNEL_API_VERSION`; tests pass another to exercise the engines check. */
  kernelApiVersion?: string;
  /** Default `() => new Date()`; stamps `since`. */
  now?: () => Date;
  /** A listener threw. Default: a process warning. Listeners never break the registry. */
  onListenerError?: (error: unknown, event: PluginStateChangeEvent) => void;
}

type Desired =
  | { state: 'enabled' }
  | { state: 'disabled'; reason: string; reasonCode?: ErrorCode }
  | { state: 'keep' };

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class PluginRegistry {
  private records = new Map<string, PluginRecord>();
  private shadowedRecords: PluginRecord[] = [];
  private choices: Record<string, PluginChoice> = {};
  /** Disables set by the lifecycle through `setState`: not persisted, cleared by `enable`. */
  private holds = new Map<string, { reason: string; reasonCode?: ErrorCode }>();
  private listeners = new Set<PluginStateListener>();
  /** Serialises enable/disable so concurrent calls cannot persist a stale set of choices. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly kernelApiVersion: string;
  private readonly now: () => Date;

  constructor(private readonly options: PluginRegistryOptions) {
    this.kernelApiVersion = options.kernelApiVersion ?? KERNEL_API_VERSION;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Scans the plugin dirs, reads stored choices and evaluates every plugin. Meant for boot; a
   * later call keeps the state of a plugin the lifecycle holds (loaded/running/errored/
   * quarantined) when its folder, version and bundle hash are unchanged.
   */
  async discover(): Promise<PluginRecord[]> {
    const found = await discoverPlugins({ builtinDir: this.options.builtinDir, userDir: this.options.userDir });
    this.choices = await this.options.stateStore.load();
    const at = this.now();
    const previous = this.records;
    const fresh: PluginRecord[] = [];
    this.records = new Map();
    for (const candidate of found.plugins) {
      const before = previous.get(candidate.name);
      if (before !== undefined && this.isSameHeldPackage(before, candidate)) {
        this.records.set(candidate.name, before);
        continue;
      }
      const record = this.recordOf(candidate, at);
      this.records.set(candidate.name, record);
      fresh.push(record);
    }
    this.shadowedRecords = found.shadowed.map((s) =>
      Object.freeze({
        ...this.recordOf(s, at),
        state: 'disabled' as const,
        reason: s.reason,
        reasonCode: ErrorCodes.PLUGIN_DUPLICATE,
      }),
    );
    this.emit(fresh.map((record) => this.eventOf(null, record)));
    this.evaluate();
    return this.list();
  }

  /** Every discovered plugin (one per name), by name. */
  list(): PluginRecord[] {
    return [...this.records.values()].sort(byName);
  }

  /** Packages that lost a name clash (state `disabled`, E3006), by name. */
  listShadowed(): PluginRecord[] {
    return [...this.shadowedRecords];
  }

  get(name: string): PluginRecord | undefined {
    return this.records.get(name);
  }

  /** Plugins in `enabled`, `loaded` or `running`, each after the plugins it depends on. */
  loadOrder(): PluginRecord[] {
    const active = this.list().filter((r) => ACTIVE_STATES.has(r.state));
    const { order } = orderByDependencies(
      active.map((r) => ({ name: r.name, version: r.version, dependencies: r.manifest?.rimuru.dependencies ?? {}, available: true })),
    );
    return order.map((name) => this.records.get(name) as PluginRecord);
  }

  /** Persists "enabled" for `name` and re-evaluates; also the way to retry an errored/quarantined plugin. */
  enable(name: string): Promise<PluginRecord> {
    return this.serially(async () => {
      const record = this.require(name);
      await this.persist(name, true);
      this.holds.delete(name);
      this.evaluate(record.state === 'errored' || record.state === 'quarantined' ? name : undefined);
      return this.require(name);
    });
  }

  /** Persists "disabled" for `name` and re-evaluates (its dependents are disabled too). */
  disable(name: string): Promise<PluginRecord> {
    return this.serially(async () => {
      this.require(name);
      await this.persist(name, false);
      this.evaluate();
      return this.require(name);
    });
  }

  /**
   * For the lifecycle: `loaded`, `running`, back to `enabled` when unloaded or retried,
   * `errored`/`quarantined` when a plugin breaks, `disabled` to hold it off until `enable()`.
   * An illegal transition throws E3008. Dependents are re-evaluated whenever availability changes.
   */
  setState(name: string, state: PluginState, reason?: string, reasonCode?: ErrorCode): PluginRecord {
    const record = this.require(name);
    if (record.manifest === null && state !== 'errored' && state !== 'disabled') {
      throw new PluginError(
        ErrorCodes.PLUGIN_ILLEGAL_TRANSITION,
        `Plugin ${name} has no valid manifest and cannot go to ${state}: ${record.reason ?? 'manifest invalid'}`,
        { details: { plugin: name, from: record.state, to: state } },
      );
    }
    if (state === 'installed') {
      throw new PluginError(ErrorCodes.PLUGIN_ILLEGAL_TRANSITION, `Plugin ${name} cannot go back to installed`, {
        details: { plugin: name, from: record.state, to: state },
      });
    }
    const wasAvailable = ACTIVE_STATES.has(record.state);
    if (state === 'enabled' && !wasAvailable) {
      // A retry or re-enable: whether it may run is the registry's decision, not the caller's.
      this.holds.delete(name);
      this.evaluate(name);
      return this.require(name);
    }
    if (state === 'disabled') {
      this.holds.set(name, { reason: reason ?? 'disabled by the kernel', ...(reasonCode ? { reasonCode } : {}) });
      this.evaluate();
      return this.require(name);
    }
    this.applyTransition(record, state, reason, reasonCode);
    if (wasAvailable !== ACTIVE_STATES.has(state)) this.evaluate();
    return this.require(name);
  }

  /** Calls `listener` after every state change; returns the unsubscribe function. */
  onStateChange(listener: PluginStateListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private require(name: string): PluginRecord {
    const record = this.records.get(name);
    if (record !== undefined) return record;
    const known = [...this.records.keys()].sort();
    throw new PluginError(
      ErrorCodes.PLUGIN_NOT_FOUND,
      `No plugin named ${name}. Known plugins: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      { details: { plugin: name, known } },
    );
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async persist(name: string, enabled: boolean): Promise<void> {
    const next = { ...this.choices, [name]: { enabled } };
    await this.options.stateStore.save(next);
    this.choices = next;
  }

  private recordOf(candidate: PluginCandidate, at: Date): PluginRecord {
    return Object.freeze({
      name: candidate.name,
      version: candidate.version,
      dir: candidate.dir,
      source: candidate.source,
      manifest: candidate.manifest,
      bundlePath: candidate.bundlePath,
      integrity: candidate.integrity,
      state: candidate.error === undefined ? ('installed' as const) : ('errored' as const),
      ...(candidate.error === undefined ? {} : { reason: candidate.error.message, reasonCode: candidate.error.code }),
      since: at,
    });
  }

  private isSameHeldPackage(before: PluginRecord, candidate: PluginCandidate): boolean {
    const held = before.state === 'loaded' || before.state === 'running' || before.state === 'quarantined' ||
      (before.state === 'errored' && before.manifest !== null);
    return held && before.dir === candidate.dir && before.version === candidate.version &&
      before.integrity === candidate.integrity;
  }

  /** An explicit "off" that applies even to a broken plugin: a lifecycle hold or the user's stored choice. */
  private turnedOff(name: string): { reason: string; reasonCode?: ErrorCode } | undefined {
    const hold = this.holds.get(name);
    if (hold !== undefined) return hold;
    if (this.choices[name]?.enabled === false) return { reason: `disabled by the user (rimuru-kernel plugin disable ${name})` };
    return undefined;
  }

  /** What the user (or config, or the source default) wants, and what the kernel allows. */
  private wanted(record: PluginRecord): { ok: true } | { ok: false; reason: string; reasonCode?: ErrorCode } {
    const manifest = record.manifest as NonNullable<PluginRecord['manifest']>;
    const range = manifest.engines.rimuru;
    if (!semver.satisfies(this.kernelApiVersion, range)) {
      return {
        ok: false,
        reason: `${record.name}@${record.version} requires kernel API ${range}, but this kernel implements ${this.kernelApiVersion}`,
        reasonCode: ErrorCodes.PLUGIN_VERSION_MISMATCH,
      };
    }
    const off = this.turnedOff(record.name);
    if (off !== undefined) return { ok: false, ...off };
    if (this.choices[record.name]?.enabled === true) return { ok: true };
    const configured = this.options.configuredEnabled?.[record.name];
    if (configured === false) return { ok: false, reason: `disabled in config (plugins.enabled["${record.name}"] is false)` };
    if (configured === true || record.source === 'builtin') return { ok: true };
    return {
      ok: false,
      reason: `user plugin not enabled yet: run \`rimuru-kernel plugin enable ${record.name}\` once you trust it`,
    };
  }

  /** `retrying`: an errored/quarantined plugin the caller wants back, judged as if it were healthy. */
  private desiredStates(retrying?: string): Map<string, Desired> {
    const desired = new Map<string, Desired>();
    const nodes: DependencyNode[] = [];
    for (const record of this.records.values()) {
      const dependencies = record.manifest?.rimuru.dependencies ?? {};
      const broken = record.manifest === null ||
        ((record.state === 'errored' || record.state === 'quarantined') && record.name !== retrying);
      if (broken) {
        // A broken plugin that is turned off becomes plain disabled; otherwise it stays as it is.
        const off = record.manifest === null ? undefined : this.turnedOff(record.name);
        const unavailableReason = `${record.state}: ${record.reason ?? 'no reason given'}`;
        desired.set(record.name, off === undefined ? { state: 'keep' } : { state: 'disabled', ...off });
        nodes.push({ name: record.name, version: record.version, dependencies, available: false, unavailableReason });
        continue;
      }
      const verdict = this.wanted(record);
      desired.set(record.name, verdict.ok ? { state: 'enabled' } : { state: 'disabled', reason: verdict.reason, reasonCode: verdict.reasonCode });
      nodes.push({ name: record.name, version: record.version, dependencies, available: verdict.ok,
        unavailableReason: verdict.ok ? undefined : verdict.reason });
    }
    for (const verdict of orderByDependencies(nodes).disabled) {
      desired.set(verdict.name, { state: 'disabled', reason: verdict.reason, reasonCode: verdict.code });
    }
    return desired;
  }

  private evaluate(retrying?: string): void {
    const at = this.now();
    const events: PluginStateChangeEvent[] = [];
    for (const [name, want] of [...this.desiredStates(retrying)].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const record = this.records.get(name) as PluginRecord;
      if (want.state === 'keep') continue;
      if (want.state === 'enabled') {
        if (ACTIVE_STATES.has(record.state)) continue;
        events.push(this.replace(record, transition(record, { to: 'enabled', at })));
        continue;
      }
      if (record.state === 'disabled' && record.reason === want.reason && record.reasonCode === want.reasonCode) continue;
      events.push(this.replace(record, transition(record, { to: 'disabled', reason: want.reason, reasonCode: want.reasonCode, at })));
    }
    this.emit(events);
  }

  private applyTransition(record: PluginRecord, to: PluginState, reason?: string, reasonCode?: ErrorCode): void {
    const next = transition(record, { to, reason, reasonCode, at: this.now() });
    this.emit([this.replace(record, next)]);
  }

  private replace(before: PluginRecord, after: PluginRecord): PluginStateChangeEvent {
    this.records.set(after.name, after);
    return this.eventOf(before.state, after);
  }

  private eventOf(from: PluginState | null, record: PluginRecord): PluginStateChangeEvent {
    return {
      name: record.name,
      from,
      to: record.state,
      ...(record.reason === undefined ? {} : { reason: record.reason }),
      ...(record.reasonCode === undefined ? {} : { reasonCode: record.reasonCode }),
      record,
    };
  }

  private emit(events: ReadonlyArray<PluginStateChangeEvent>): void {
    for (const event of events) {
      for (const listener of [...this.listeners]) {
        try {
          listener(event);
        } catch (error) {
          if (this.options.onListenerError) this.options.onListenerError(error, event);
          else process.emitWarning(`plugin state listener failed on ${event.name} → ${event.to}: ${String(error)}`);
        }
      }
    }
  }
}
