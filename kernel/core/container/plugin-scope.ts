import 'reflect-metadata';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { ContainerError, ErrorCodes } from '../errors';
import { disposeNewestFirst, type Disposable, type DisposalFailure } from './disposable';
import { tokenName, type ServiceToken } from './service-token';

/**
 * One plugin's child container. It sees every root service, plus its own `Logger` (bound to
 * `{ plugin }`) and `PluginName`. What the plugin's host side starts (sandbox, timers,
 * watchers) is handed to `own` and released when the plugin stops, like Obsidian's
 * `Component.register*`.
 */
export class PluginScope {
  private readonly owned: Disposable[] = [];
  private disposal: Promise<DisposalFailure[]> | undefined;

  constructor(
    readonly pluginName: string,
    readonly container: DependencyContainer,
    readonly logger: Logger,
    private readonly disposedOnce: WeakSet<Disposable>,
    private readonly onDisposed: (scope: PluginScope) => void,
  ) {}

  get disposed(): boolean {
    return this.disposal !== undefined;
  }

  resolve<T>(token: ServiceToken<T>): T {
    if (this.disposal) {
      throw new ContainerError(
        ErrorCodes.SERVICE_UNAVAILABLE,
        `Plugin "${this.pluginName}" asked for ${tokenName(token)} after its scope was disposed`,
        { details: { plugin: this.pluginName, token: tokenName(token) } },
      );
    }
    try {
      return this.container.resolve<T>(token);
    } catch (cause) {
      throw new ContainerError(
        ErrorCodes.SERVICE_UNAVAILABLE,
        `Service ${tokenName(token)} is not available to plugin "${this.pluginName}"`,
        { cause, details: { plugin: this.pluginName, token: tokenName(token) } },
      );
    }
  }

  /** Releases `item` when this scope is disposed (newest first). Returns it for chaining. */
  own<T extends Disposable>(item: T): T {
    if (this.disposal) {
      throw new ContainerError(ErrorCodes.SERVICE_UNAVAILABLE, `Plugin "${this.pluginName}" scope is already disposed`, {
        details: { plugin: this.pluginName },
      });
    }
    this.owned.push(item);
    return item;
  }

  /**
   * Releases what the scope owns, then whatever its child container constructed itself.
   * Root services are registered as instances, so the child never constructs (nor disposes)
   * them. Idempotent; never rejects.
   */
  dispose(): Promise<DisposalFailure[]> {
    this.disposal ??= this.disposeOnce();
    return this.disposal;
  }

  private async disposeOnce(): Promise<DisposalFailure[]> {
    const failures = await disposeNewestFirst(this.owned, this.pluginName, this.disposedOnce);
    try {
      await this.container.dispose();
    } catch (error) {
      failures.push({ scope: this.pluginName, error });
    }
    this.onDisposed(this);
    return failures;
  }
}
