import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import type { Logger } from 'pino';
import { HookBus } from '../hooks';
import type { HookExecutionRecorder } from '../hooks';
import type { Clock } from './clock';
import { Tokens, type KernelConfigLike } from './tokens';

/**
 * The hook bus as the container builds it: `provideClass(Tokens.HookBus, KernelHookBus)`.
 * Every parameter names its token with `@inject` because bundlers (esbuild) emit no
 * decorator metadata for tsyringe to infer types from.
 */
@injectable()
export class KernelHookBus extends HookBus {
  constructor(
    @inject(Tokens.Config) config: KernelConfigLike,
    @inject(Tokens.HookExecutionRecorder) recorder: HookExecutionRecorder,
    @inject(Tokens.Logger) logger: Logger,
    @inject(Tokens.Clock) clock: Clock,
  ) {
    super({
      defaultTimeoutMs: config.hooks.defaultTimeoutMs,
      recorder,
      logger: logger.child({ component: 'hooks' }),
      now: () => clock.now(),
    });
  }
}
