import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { createCapabilityHost, type CapabilityHost, type DataSource } from '../../../sandbox/capabilities';
import { PluginSandbox, resolveLimits, type SandboxLimits } from '../../../sandbox/isolate';
import { Continue, isHookName, type HookName, type HookResult } from '../../../sdk/src/hooks';
import type { PluginLimits, PluginPermissions } from '../../../sdk/src/manifest';
import type { KvStore } from '../../services/kv';
import type { PluginScope } from '../container';
import { ErrorCodes, errorMessage, isRimuruError, SandboxError } from '../errors';
import type { HookBus } from '../hooks';
import type { PluginRecord, PluginRegistry } from '../registry';
import { classifyFailure } from './failure-kind';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';

/** Everything a runner needs from the kernel; passed in so a runner never reaches for globals. */
export interface PluginRunnerDeps {
  registry: PluginRegistry;
  hookBus: HookBus;
  kv: KvStore;
  data?: DataSource;
  logger: Logger;
  env: Record<string, string | undefined>;
  homeDir: string;
  /** Kernel defaults for limits the manifest does not set. */
  limitDefaults: PluginLimits;
  restart: RestartPolicyOptions;
  /** The plugin's section of `plugins.config`. */
  config: Record<string, unknown>;
  /** Permissions to run with instead of the manifest's (an adapter also gets the paths the user configured for its agent). */
  permissions?: PluginPermissions;
  createScope(name: string): PluginScope;
  /** Bound for `deactivate` at stop; a plugin that takes longer is disposed anyway. */
  stopTimeoutMs: number;
}

const DEFAULT_HOOK_PRIORITY = 100;

/**
 * Runs one plugin: loads its bundle into a sandbox, wires its capabilities and hook handlers,
 * and watches it. When the isolate dies (a broken limit, a crash) the runner unwires it, files
 * the failure with the registry, and restarts it with backoff until the policy gives up; the
 * rest of the kernel never notices beyond a state change.
 */
export class PluginRunner {
  private sandbox?: PluginSandbox;
  private capabilities?: CapabilityHost;
  private scope?: PluginScope;
  private unregisterHooks: Array<() => void> = [];
  private restartTimer?: NodeJS.Timeout;
  private stopping = false;
  /** Started on first use (see {@link deferUntilUsed}); `onStarted` runs once it does. */
  private deferred: { onStarted: () => Promise<void> } | null = null;
  private firstStart?: Promise<boolean>;
  private readonly policy: RestartPolicy;
  private readonly log: Logger;

  constructor(
    private readonly record: PluginRecord,
    private readonly deps: PluginRunnerDeps,
  ) {
    this.policy = new RestartPolicy(deps.restart);
    this.log = deps.logger.child({ plugin: record.name });
  }

  get name(): string {
    return this.record.name;
  }

  /** sha256 of the bundle the running sandbox was started from. */
  bundleSha256?: string;

  /**
   * Records what one call into the plugin looked at in the file system (see
   * `CapabilityHost.observe`); undefined while the plugin does not run.
   */
  get observe(): CapabilityHost['observe'] | undefined {
    if (this.deferred !== null) {
      return async (work, nowMs) => {
        await this.started();
        return (this.capabilities as CapabilityHost).observe(work, nowMs);
      };
    }
    const capabilities = this.live ? this.capabilities : undefined;
    return capabilities && ((work, nowMs) => capabilities.observe(work, nowMs));
  }

  /** The live sandbox, for the host services that invoke plugin methods (adapters, exporters…). */
  get live(): PluginSandbox | undefined {
    return this.sandbox && !this.sandbox.disposed ? this.sandbox : undefined;
  }

  /**
   * What host services call: the live sandbox, or while the start is deferred a stand-in that
   * starts the plugin at its first `invoke` (and then is the sandbox's); undefined when the
   * plugin does not run.
   */
  get usable(): Pick<PluginSandbox, 'invoke' | 'invokeBatch' | 'limits' | 'disposed'> | undefined {
    if (this.deferred === null) return this.live;
    const limits = this.limits();
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read live by the getter below
    const runner = this;
    return {
      limits,
      // Once started, as the sandbox is: an ingest holding the stand-in stops using a plugin that died.
      get disposed() {
        return runner.deferred === null && runner.live === undefined;
      },
      invoke: async (method, args, options) => (await this.started()).invoke(method, args, options),
      invokeBatch: (calls) =>
        this.started().then(
          (sandbox) => sandbox.invokeBatch(calls),
          (error: unknown) => calls.map(() => ({ error })),
        ),
    };
  }

  /**
   * Leaves the plugin unstarted until something uses it: a host service through
   * {@link usable} or {@link observe}, or one of the hooks it declares being emitted (a
   * stand-in handler per declared hook starts it and hands the payload on). A short command
   * that ends up needing none of its plugins (a report with nothing new to read) starts none.
   */
  deferUntilUsed(onStarted: () => Promise<void>): void {
    this.deferred = { onStarted };
    this.bundleSha256 = this.record.integrity ?? undefined;
    for (const contribution of this.record.manifest?.rimuru.contributes?.hooks ?? []) {
      if (!isHookName(contribution.hook)) continue;
      const hook: HookName = contribution.hook;
      this.wireHook(contribution, hook, async (payload) => {
        const sandbox = await this.running();
        // Not running, or no handler in its bundle: as if it had registered none.
        if (sandbox === undefined || !sandbox.description.hooks.includes(hook)) return Continue();
        return sandbox.runHook(hook, payload);
      });
    }
  }

  /** The live sandbox, starting a deferred plugin first (once: a failed start goes the restart policy's way). */
  async running(): Promise<PluginSandbox | undefined> {
    const deferred = this.deferred;
    if (deferred !== null && this.firstStart === undefined) {
      this.firstStart = this.start().then(async (started) => {
        this.deferred = null;
        if (started) await deferred.onStarted();
        return started;
      });
    }
    if (this.firstStart !== undefined) await this.firstStart;
    return this.live;
  }

  /** {@link running}, or why the plugin does not run (E2008). */
  private async started(): Promise<PluginSandbox> {
    const sandbox = await this.running();
    if (sandbox !== undefined) return sandbox;
    const record = this.deps.registry.get(this.record.name);
    throw new SandboxError(
      ErrorCodes.SANDBOX_DISPOSED,
      `Plugin ${this.record.name} is not running${record?.reason ? ` (${record.state}: ${record.reason})` : ''}`,
    );
  }

  /** Starts the plugin; failures are filed with the registry, never thrown. Resolves to whether it runs. */
  async start(): Promise<boolean> {
    const manifest = this.record.manifest;
    if (!manifest || !this.record.bundlePath) return false;
    this.stopping = false;
    try {
      const code = await this.readBundle(this.record.bundlePath);
      this.scope = this.deps.createScope(this.record.name);
      this.capabilities = createCapabilityHost(
        { name: this.record.name, permissions: this.deps.permissions ?? manifest.rimuru.permissions ?? {}, contributes: manifest.rimuru.contributes ?? {} },
        {
          kv: this.deps.kv,
          data: this.deps.data,
          emitHook: async (_plugin, hook, payload) => {
            await this.deps.hookBus.emitSeries(hook, payload);
          },
          // The log capability binds the plugin name itself.
          logger: this.deps.logger,
          env: this.deps.env,
          homeDir: this.deps.homeDir,
        },
      );
      this.deps.registry.setState(this.record.name, 'loaded');
      const sandbox = await PluginSandbox.start({
        pluginName: this.record.name,
        pluginVersion: this.record.version,
        bundleCode: code,
        limits: this.limits(),
        hostCall: this.capabilities.call,
        config: this.deps.config,
        logger: this.log,
      });
      this.sandbox = sandbox;
      sandbox.onFatal((error) => void this.onFatal(error));
      this.checkDescription();
      await sandbox.activate();
      // A deferred start's stand-in handlers give way to the real ones.
      this.unwireHooks();
      this.registerHooks();
      this.deps.registry.setState(this.record.name, 'running');
      this.log.debug({ limits: this.limits() }, 'plugin running');
      return true;
    } catch (error) {
      await this.fail(error);
      return false;
    }
  }

  /** Stops the plugin for good (kernel shutdown or disable): no restart follows. */
  async stop(reason: string): Promise<void> {
    this.stopping = true;
    this.deferred = null;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const sandbox = this.sandbox;
    if (sandbox && !sandbox.disposed) {
      this.unwireHooks();
      await Promise.race([
        sandbox.deactivate().catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, 'deactivate failed')),
        new Promise((resolve) => setTimeout(resolve, this.deps.stopTimeoutMs).unref()),
      ]);
    }
    await this.teardown(reason);
    const state = this.deps.registry.get(this.record.name)?.state;
    if (state === 'loaded' || state === 'running') this.deps.registry.setState(this.record.name, 'enabled');
  }

  private limits(): SandboxLimits {
    return resolveLimits({ ...this.deps.limitDefaults, ...(this.record.manifest?.rimuru.limits ?? {}) });
  }

  private async readBundle(bundlePath: string): Promise<string> {
    let code: Buffer;
    try {
      code = await readFile(bundlePath);
    } catch (cause) {
      throw new SandboxError(
        ErrorCodes.SANDBOX_BAD_BUNDLE,
        `Plugin ${this.record.name}: its bundle ${bundlePath} cannot be read — build it (\`npm run build\` in the kernel, or \`rimuru-kernel plugin build <dir>\`)`,
        { cause },
      );
    }
    const integrity = createHash('sha256').update(code).digest('hex');
    this.bundleSha256 = integrity;
    if (this.record.integrity && integrity !== this.record.integrity) {
      // The bundle changed after discovery: run only what was inspected and recorded.
      throw new SandboxError(
        ErrorCodes.SANDBOX_BAD_BUNDLE,
        `Plugin ${this.record.name}: its bundle changed since it was discovered (sha256 ${integrity.slice(0, 12)}… ≠ ${this.record.integrity.slice(0, 12)}…); restart the kernel to pick up the new build`,
      );
    }
    return code.toString('utf8');
  }

  /** The bundle must be the kind its manifest says; hooks it handles must be declared. */
  private checkDescription(): void {
    const description = this.sandbox!.description;
    const manifest = this.record.manifest!;
    if (description.kind !== manifest.rimuru.kind) {
      throw new SandboxError(
        ErrorCodes.SANDBOX_BAD_BUNDLE,
        `Plugin ${this.record.name}: its manifest says kind "${manifest.rimuru.kind}" but its bundle defines a "${description.kind}" plugin`,
      );
    }
    const declared = new Set((manifest.rimuru.contributes?.hooks ?? []).map((h) => h.hook));
    for (const hook of description.hooks) {
      if (!declared.has(hook)) {
        this.log.warn({ hook }, `handler for ${hook} is not declared in contributes.hooks and will not be called`);
      }
    }
  }

  private registerHooks(): void {
    const sandbox = this.sandbox!;
    const implemented = new Set(sandbox.description.hooks);
    for (const contribution of this.record.manifest!.rimuru.contributes?.hooks ?? []) {
      if (!isHookName(contribution.hook)) continue;
      if (!implemented.has(contribution.hook)) {
        this.log.warn({ hook: contribution.hook }, `declares a ${contribution.hook} handler but its bundle has none`);
        continue;
      }
      const hook: HookName = contribution.hook;
      this.wireHook(contribution, hook, (payload) => sandbox.runHook(hook, payload));
    }
  }

  /** Registers `handle` for a hook the manifest declares, with its priority and timeout. */
  private wireHook(contribution: { priority?: number; timeoutMs?: number }, hook: HookName, handle: (payload: unknown) => Promise<HookResult>): void {
    this.unregisterHooks.push(
      this.deps.hookBus.register({
        id: `${this.record.name}:${hook}`,
        owner: this.record.name,
        hook,
        priority: contribution.priority ?? DEFAULT_HOOK_PRIORITY,
        timeoutMs: contribution.timeoutMs,
        handle,
      }),
    );
  }

  private unwireHooks(): void {
    for (const unregister of this.unregisterHooks.splice(0)) unregister();
  }

  private async teardown(reason: string): Promise<void> {
    this.unwireHooks();
    this.sandbox?.dispose(reason);
    this.sandbox = undefined;
    const capabilities = this.capabilities;
    this.capabilities = undefined;
    await capabilities?.dispose().catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, 'capability cleanup failed'));
    const scope = this.scope;
    this.scope = undefined;
    await scope?.dispose();
  }

  private async onFatal(error: SandboxError): Promise<void> {
    if (this.stopping) return;
    await this.fail(error);
  }

  /** Files a failure, tears the plugin down and schedules a restart when one could help. */
  private async fail(error: unknown): Promise<void> {
    const verdict = classifyFailure(error);
    const message = errorMessage(error);
    await this.teardown(message);
    if (this.stopping) return;
    const current = this.deps.registry.get(this.record.name)?.state;
    if (current === 'disabled') return;
    const delay = verdict.retry ? this.policy.nextDelayMs() : null;
    const reason =
      verdict.retry && delay === null
        ? `${message} (gave up after ${this.policy.maxRestarts} restarts, ${ErrorCodes.PLUGIN_RESTARTS_EXHAUSTED})`
        : message;
    this.deps.registry.setState(this.record.name, verdict.state, reason, verdict.code);
    this.log.error({ code: isRimuruError(error) ? error.code : undefined, restartInMs: delay }, `plugin ${verdict.state}: ${message}`);
    if (delay === null) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.log.info({ attempt: this.policy.attempts }, 'restarting plugin');
      this.deps.registry.setState(this.record.name, 'enabled');
      void this.start();
    }, delay);
    this.restartTimer.unref();
  }
}
