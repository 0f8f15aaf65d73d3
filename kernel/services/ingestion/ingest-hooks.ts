import type { Logger } from 'pino';
import type { HookPayload, HookPayloads } from '../../../sdk/src/hooks';
import { errorMessage } from '../../core/errors';
import type { HookBus } from '../../core/hooks';

/** The hooks ingestion fires. */
export type IngestHookName = 'SessionStart' | 'SessionEnd' | 'CostRecorded' | 'AgentDiscovered';

/**
 * Fires ingestion's hooks after the commits that caused them: in order, one after another,
 * without holding up the ingest; a run waits for its own at its end ({@link drained}). A hook
 * nobody listens to costs nothing.
 */
export class IngestHooks {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Pick<HookBus, 'emitParallel' | 'handlers'> | undefined,
    private readonly log: Logger,
  ) {}

  listening(hook: IngestHookName): boolean {
    return this.bus !== undefined && this.bus.handlers(hook).length > 0;
  }

  emit<H extends IngestHookName>(hook: H, payload: HookPayloads[H]): void {
    const bus = this.bus;
    if (bus === undefined || !this.listening(hook)) return;
    this.queue = this.queue
      .then(() => bus.emitParallel(hook, payload as HookPayload<H>))
      .then(
        () => undefined,
        (error: unknown) => this.log.warn({ hook, err: errorMessage(error) }, 'an ingest hook failed'),
      );
  }

  /** Resolves when every hook emitted so far has run. */
  drained(): Promise<void> {
    return this.queue;
  }
}
