import 'reflect-metadata';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { ServiceToken } from './service-token';

/** Resolves an already-built service while later ones are being built. */
export type ServiceResolver = <T>(token: ServiceToken<T>) => T;

/** One host service for `createKernelContainer`, built once at boot. Make with `provide*`. */
export interface ServiceRegistration {
  readonly token: symbol;
  /** Whether the root container disposes it at shutdown (when it has `dispose()`). */
  readonly owned: boolean;
  build(root: DependencyContainer, resolve: ServiceResolver): unknown;
}

/** Any class tsyringe can construct: decorated with `@injectable()` and `@inject(TOKEN)`. */
export type ServiceClass<T> = new (...args: never[]) => T;

/**
 * A ready-made instance. Owned by default (disposed at shutdown if disposable); pass
 * `owned: false` for something the caller keeps managing.
 */
export function provideValue<T>(token: ServiceToken<T>, value: T, options: { owned?: boolean } = {}): ServiceRegistration {
  return { token, owned: options.owned ?? true, build: () => value };
}

/** A service built from ones registered before it. */
export function provideFactory<T>(token: ServiceToken<T>, factory: (resolve: ServiceResolver) => T): ServiceRegistration {
  return { token, owned: true, build: (_root, resolve) => factory(resolve) };
}

/** A class whose constructor takes `@inject(TOKEN)` parameters, constructed by the root. */
export function provideClass<T>(token: ServiceToken<T>, serviceClass: ServiceClass<T>): ServiceRegistration {
  return { token, owned: true, build: (root) => root.resolve(serviceClass as unknown as InjectionToken<T>) };
}
