export { createKernelContainer, KernelContainer } from './kernel-container';
export { PluginScope } from './plugin-scope';
export { Tokens, type KernelConfigLike, type PluginRegistryService } from './tokens';
export { createServiceToken, tokenName, type ServiceToken, type ServiceOf } from './service-token';
export {
  provideValue,
  provideFactory,
  provideClass,
  type ServiceRegistration,
  type ServiceResolver,
  type ServiceClass,
} from './service-registration';
export { isDisposable, type Disposable, type DisposalFailure } from './disposable';
export { systemClock, type Clock } from './clock';
export { KernelHookBus } from './kernel-hook-bus';
