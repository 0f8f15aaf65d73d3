import 'reflect-metadata';
import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { ContainerError, ErrorCodes, PluginError, errorMessage, isRimuruError } from '../errors';
import { pluginLogger } from '../logging';
import { disposeNewestFirst, isDisposable, type Disposable, type DisposalFailure } from './disposable';
import { PluginScope } from './plugin-scope';
import type { ServiceRegistration, ServiceResolver } from './service-registration';
import { tokenName, type ServiceToken } from './service-token';
import { Tokens } from './tokens';

/**
 * The root of the kernel's services. Every registration is built once, eagerly, in order,
 * and kept as an instance: a tsyringe child that first resolves a root singleton claims it
 * for its own `dispose()` (a pitfall already paid for), so nothing is left for a child to build.
 */
export class KernelContainer {
  private readonly scopes = new Map<string, PluginScope>();
  private readonly disposedOnce = new WeakSet<Disposable>();
  private disposal: Promise<DisposalFailure[]> | undefined;
  private readonly logger: Logger;

  /** @internal — use `createKernelContainer`, which builds `root` and what it owns. */
  constructor(
    readonly root: DependencyContainer,
    private readonly owned: Disposable[],
  ) {
    this.logger = root.resolve<Logger>(Tokens.Logger);
  }

  get disposed(): boolean {
    return this.disposal !== undefined;
  }

  resolve<T>(token: ServiceToken<T>): T {
    this.assertOpen(`resolve ${tokenName(token)}`);
    try {
      return this.root.resolve<T>(token);
    } catch (cause) {
      throw new ContainerError(ErrorCodes.SERVICE_UNAVAILABLE, `Service ${tokenName(token)} is not registered: ${errorMessage(cause)}`, {
        cause,
        details: { token: tokenName(token) },
      });
    }
  }

  /** Adds a root-owned disposable started after boot (disposed after every plugin scope). */
  own<T extends Disposable>(item: T): T {
    this.assertOpen('own a disposable');
    this.owned.push(item);
    return item;
  }

  /** A child container for one plugin, with its own logger and `PluginName`. One per plugin at a time. */
  createPluginScope(pluginName: string): PluginScope {
    this.assertOpen(`create a scope for plugin "${pluginName}"`);
    if (this.scopes.has(pluginName)) {
      throw new PluginError(ErrorCodes.PLUGIN_DUPLICATE, `Plugin "${pluginName}" already has a scope; dispose it before creating another`, {
        details: { plugin: pluginName },
      });
    }
    const logger = pluginLogger(this.logger, pluginName);
    const child = this.root.createChildContainer();
    child.registerInstance(Tokens.PluginName, pluginName);
    child.registerInstance(Tokens.Logger, logger);
    const scope = new PluginScope(pluginName, child, logger, this.disposedOnce, (done) => {
      if (this.scopes.get(done.pluginName) === done) this.scopes.delete(done.pluginName);
    });
    this.scopes.set(pluginName, scope);
    return scope;
  }

  pluginScope(pluginName: string): PluginScope | undefined {
    return this.scopes.get(pluginName);
  }

  /**
   * Children before the root: every plugin scope (newest first), then root-owned services in
   * reverse registration order. Each disposable is disposed at most once; failures are
   * logged and returned, never thrown half-way. Idempotent.
   */
  dispose(): Promise<DisposalFailure[]> {
    this.disposal ??= this.disposeOnce();
    return this.disposal;
  }

  private async disposeOnce(): Promise<DisposalFailure[]> {
    const failures: DisposalFailure[] = [];
    for (const scope of [...this.scopes.values()].reverse()) failures.push(...(await scope.dispose()));
    failures.push(...(await disposeNewestFirst(this.owned, 'root', this.disposedOnce)));
    // The root tsyringe container is deliberately not `dispose()`d: everything it built is in
    // `owned` already, and its own pass would dispose those a second time.
    for (const failure of failures) {
      this.logger.error({ err: failure.error, scope: failure.scope }, `Disposal failed in ${failure.scope === 'root' ? 'the kernel' : `plugin "${failure.scope}"`}`);
    }
    return failures;
  }

  private assertOpen(action: string): void {
    if (this.disposal) {
      throw new ContainerError(ErrorCodes.SERVICE_UNAVAILABLE, `Cannot ${action}: the kernel container is disposed`);
    }
  }
}

/**
 * Builds the root container from `registrations`, in order (register a service's
 * dependencies before it). `Logger` must be among them. If one fails to build, the ones
 * already built are disposed (newest first) before the error is rethrown.
 */
export async function createKernelContainer(registrations: readonly ServiceRegistration[]): Promise<KernelContainer> {
  // A child of tsyringe's global container is the only public way to get a fresh one.
  const root = globalContainer.createChildContainer();
  const owned: Disposable[] = [];
  const resolve: ServiceResolver = <T>(token: ServiceToken<T>): T => {
    if (!root.isRegistered(token)) {
      throw new ContainerError(ErrorCodes.SERVICE_UNAVAILABLE, `Service ${tokenName(token)} is not registered yet: register it before the services that use it`, {
        details: { token: tokenName(token) },
      });
    }
    return root.resolve<T>(token);
  };
  try {
    for (const registration of registrations) {
      const name = tokenName(registration.token);
      if (root.isRegistered(registration.token)) {
        throw new ContainerError(ErrorCodes.SERVICE_UNAVAILABLE, `Service ${name} is registered twice`, { details: { token: name } });
      }
      let instance: unknown;
      try {
        instance = registration.build(root, resolve);
      } catch (cause) {
        if (isRimuruError(cause)) throw cause;
        throw new ContainerError(ErrorCodes.SERVICE_UNAVAILABLE, `Could not build service ${name}: ${errorMessage(cause)}`, {
          cause,
          details: { token: name },
        });
      }
      root.registerInstance(registration.token, instance);
      if (registration.owned && isDisposable(instance)) owned.push(instance);
    }
    if (!root.isRegistered(Tokens.Logger)) {
      throw new ContainerError(ErrorCodes.SERVICE_UNAVAILABLE, 'The kernel container needs a Logger registration', {
        details: { token: tokenName(Tokens.Logger) },
      });
    }
  } catch (error) {
    const failures = await disposeNewestFirst(owned, 'root', new WeakSet());
    if (failures.length > 0 && root.isRegistered(Tokens.Logger)) {
      const logger = root.resolve<Logger>(Tokens.Logger);
      for (const failure of failures) logger.error({ err: failure.error }, 'Disposal failed while abandoning a half-built kernel container');
    }
    throw error;
  }
  return new KernelContainer(root, owned);
}
